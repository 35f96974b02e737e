/**
 * Seed 001 — STEMinds' "Basic MQTT client": the living-room light.
 *
 * A device with a unique id (a UUID) puts its topics under that id, so that it is not mixed up
 * with the hundreds of other devices on a public broker. It subscribes to its
 * `<UUID>/living_room/light` topic and, while polling with checkMsg() (which never waits, so the
 * device can do other work), publishes its light status to `<UUID>/home/living_room/light` every
 * interval. On an error it connects again (the tutorial resets the board; we just reconnect).
 *
 * Offline, the embedded broker drops the device's connection after the second status, so that
 * the reconnect can be seen. With --url it prints the commands that watch and switch it on that
 * broker (lib/hint.ts), e.g.
 *   npx -y pnpm@10 -s mqtt sub -L mqtt://test.mosquitto.org:1883/<UUID>/home/living_room/light -v
 */
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { MqttClient, isMqttError } from '@x/simple'
import { BROKER_USAGE, intArg, parseExampleArgs } from './lib/args.js'
import { openBroker } from './lib/broker.js'
import { dropClient } from './lib/faults.js'
import { mqttCommand } from './lib/hint.js'
import { explain, isMain, runMain, type Print } from './lib/main.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run living-room-light [options]
Publishes the light status every interval while polling with checkMsg(); reconnects on errors (seed 001).
  --count N          status messages to publish (default 5)
  --interval MS      publish every MS (default 1000, the tutorial's message_interval)
  --uuid ID          the device's unique id, the prefix of its topics (default: a new random UUID)
  --drop-after N     embedded broker only: drop the connection after the Nth status (default 2; 0: never)
  --retry-delay MS   wait before reconnecting (default 1000; the tutorial waits 5 s)
${BROKER_USAGE}`

const MAX_RECONNECTS = 5

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, {
    count: { type: 'string' },
    interval: { type: 'string' },
    uuid: { type: 'string' },
    'drop-after': { type: 'string' },
    'retry-delay': { type: 'string' },
  })
  if (args.help) return print(USAGE)
  const count = intArg(args.count, 'count', 5, 1)
  const messageInterval = intArg(args.interval, 'interval', 1000)
  const dropAfter = intArg(args['drop-after'], 'drop-after', 2)
  const retryDelay = intArg(args['retry-delay'], 'retry-delay', 1000)

  // MQTT unique id: the tutorial generates one with uuid.uuid1() or an online generator.
  const UUID = args.uuid ?? randomUUID()
  const topics = ['living_room/light']
  const statusTopic = `${UUID}/home/living_room/light`
  // The light status: 1 in the tutorial, always. Here a "0" or "1" sent to the device's
  // living_room/light topic changes it, so the subscription does something you can see.
  let lightStatus = 1

  const broker = await openBroker(args, { print })
  const clientId = `living-room-${UUID.slice(0, 8)}`
  const client = new MqttClient({ clientId, ...broker.options })
  try {
    print(`[-] Device ${UUID}`)
    if (!broker.embedded) {
      const watch = mqttCommand(broker, 'sub', statusTopic, ['-v'])
      const flip = mqttCommand(broker, 'pub', `${UUID}/living_room/light`, ['-m', '0'])
      if (watch && flip) {
        print(`[-] Watch it with: ${watch}`)
        print(`[-] Switch it with: ${flip}`)
      } else print(`[-] Watch it with any MQTT client on ${broker.url}: topic ${statusTopic}; send 0 or 1 to ${UUID}/living_room/light`)
    }

    const onMessage = (topic: string, msg: Uint8Array): void => {
      const text = new TextDecoder().decode(msg)
      print(`[-] received (${topic}, ${text})`)
      if (text === '0' || text === '1') lightStatus = Number(text)
    }

    const connectAndSubscribe = async (): Promise<void> => {
      print('[-] Connecting to MQTT broker ...')
      client.setCallback(onMessage)
      await client.connect()
      print(`[-] Connected to ${broker.url} MQTT broker successfully`)
      for (const topic of topics) {
        await client.subscribe(`${UUID}/${topic}`)
        print(`[-] Subscribed to ${UUID}/${topic} successfully`)
      }
    }

    // restart_and_reconnect(): the tutorial resets the board after 5 s; we wait and connect
    // again, a bounded number of times.
    let reconnects = 0
    const restartAndReconnect = async (error: unknown): Promise<void> => {
      for (;;) {
        if (++reconnects > MAX_RECONNECTS) throw error
        print(`[-] Failed: ${explain(error)}. Reconnecting in ${retryDelay} ms ...`)
        await sleep(retryDelay)
        try {
          return await connectAndSubscribe()
        } catch (again) {
          if (!isMqttError(again)) throw again
          error = again
        }
      }
    }

    try {
      await connectAndSubscribe()
    } catch (error) {
      if (!isMqttError(error)) throw error
      await restartAndReconnect(error)
    }

    let lastMessage = 0
    let published = 0
    const deadline = Date.now() + count * messageInterval + (MAX_RECONNECTS + 1) * (retryDelay + 5000)
    while (published < count) {
      if (Date.now() > deadline) throw new Error(`only ${published} of ${count} statuses published in time`)
      try {
        // Runs on_message for whatever has arrived, and returns at once if nothing has.
        client.checkMsg()
        if (Date.now() - lastMessage >= messageInterval) {
          await client.publish(statusTopic, String(lightStatus))
          published++
          print(`[-] published light status: ${lightStatus}`)
          lastMessage = Date.now()
          if (broker.embedded && published === dropAfter && dropClient(broker.embedded, clientId)) {
            print('    (the embedded broker drops this connection now, as a Wi-Fi outage would)')
          }
        }
      } catch (error) {
        if (!isMqttError(error)) throw error
        await restartAndReconnect(error)
      }
      await sleep(20) // the device's other work
    }
    print(`[-] Published ${count} statuses (${reconnects} reconnect${reconnects === 1 ? '' : 's'}).`)
  } finally {
    await client.disconnect()
    await broker.close()
  }
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
