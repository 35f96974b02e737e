/**
 * Seed 003 — mPython's MQTT tutorial: the remote light switch.
 *
 * A switch subscribes and turns a (printed) light on at "on" and off at "off". With wildcards it
 * serves every room at once: `home/+/light` matches one level (`home/kitchen/light`), and
 * `sensors/#` any number of levels below `sensors/` (each reading is just logged). It keeps the
 * connection with keepalive 30 and a periodic ping(), as the tutorial does with a Timer, and
 * waits for messages with waitMsg().
 *
 * The tutorial sends "on"/"off" from the IoT platform's web page; here a second client, the
 * remote, sends a short script of messages (turn it off with --listen-only and send your own).
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { MqttClient, topicMatches } from '@x/simple'
import { BROKER_USAGE, intArg, parseExampleArgs } from './lib/args.js'
import { openBroker } from './lib/broker.js'
import { isMain, runMain, type Print } from './lib/main.js'
import { topicPrefix } from './lib/prefix.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run remote-light-switch [options]
Switches printed lights on "on"/"off", subscribed with the wildcards + and # (seed 003).
  --step MS          pause between the remote's messages (default 300)
  --ping-interval MS ping the broker this often (default 1000; the tutorial: 20000 with keepalive 30)
  --listen-only      no built-in remote: listen for --duration ms to messages sent from elsewhere
  --duration MS      how long to listen with --listen-only (default 30000)
  --prefix P         put the topics under P (default: none on the embedded broker, random elsewhere)
${BROKER_USAGE}`

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, {
    step: { type: 'string' },
    'ping-interval': { type: 'string' },
    'listen-only': { type: 'boolean' },
    duration: { type: 'string' },
    prefix: { type: 'string' },
  })
  if (args.help) return print(USAGE)
  const step = intArg(args.step, 'step', 300)
  const pingInterval = intArg(args['ping-interval'], 'ping-interval', 1000, 10)
  const duration = intArg(args.duration, 'duration', 30_000)

  const broker = await openBroker(args, { print })
  const P = topicPrefix(args.prefix, broker, print)
  const LIGHTS = `${P}home/+/light` // + : exactly one level, the room
  const SENSORS = `${P}sensors/#` // # : everything below sensors/, however deep

  const lights = new Map<string, boolean>()
  let received = 0
  const sub_cb = (topic: string, payload: Uint8Array): void => {
    received++
    const msg = payload.toString()
    print(`(${topic}, ${msg})`)
    if (topicMatches(LIGHTS, topic)) {
      const room = topic.split('/').at(-2) as string // the level the + matched
      if (msg === 'on') lights.set(room, true)
      else if (msg === 'off') lights.set(room, false)
      else return print(`    "${msg}" is neither on nor off: ${room} light unchanged`)
      print(`    ${lights.get(room) ? '[*]' : '[ ]'} ${room} light ${lights.get(room) ? 'ON' : 'off'}`)
    } else if (topicMatches(SENSORS, topic)) {
      print(`    logged a reading from ${topic.slice(P.length + 'sensors/'.length)}`)
    }
  }

  // keepalive 30: the broker drops us after 45 s of silence; the pings below keep it busy.
  const id = randomBytes(2).toString('hex')
  const switchClient = new MqttClient({ clientId: `light-switch-${id}`, ...broker.options, keepaliveSec: 30 })
  const remote = new MqttClient({ clientId: `remote-${id}`, ...broker.options })
  let pinger: ReturnType<typeof setInterval> | undefined
  const listening = new AbortController() // ends the --listen-only wait early if the switch fails
  try {
    switchClient.setCallback(sub_cb) // before subscribing, so no message is missed
    // PINGRESP is handled by the client; this shows it arriving.
    switchClient.setCallbackPacket((p) => p.type === 'pingresp' && print('    (PINGRESP: the broker is there)'))
    await switchClient.connect()
    await switchClient.subscribe(LIGHTS)
    await switchClient.subscribe(SENSORS)
    print(`Connected to ${broker.url}; subscribed to ${LIGHTS} and ${SENSORS}`)

    // The tutorial's Timer: ping periodically. A lost link surfaces in waitMsg() below.
    pinger = setInterval(() => {
      if (!switchClient.isConnected) return
      switchClient.ping()
      print('    (PINGREQ)')
    }, pingInterval)

    // The remote: what the tutorial's web page sends. Runs alongside the switch's wait loop.
    const script: Array<[string, string]> = [
      ['home/livingroom/light', 'on'],
      ['sensors/livingroom/temperature', '21.5'],
      ['home/kitchen/light', 'on'],
      ['sensors/garden/soil/moisture', '37%'],
      ['home/livingroom/light', 'off'],
      ['home/kitchen/light', 'blink'],
      ['home/kitchen/light', 'off'],
    ]
    let remoteDone = false
    const remoteRun = args['listen-only']
      ? sleep(duration, undefined, { signal: listening.signal })
          .catch(() => {})
          .then(() => (remoteDone = true))
      : (async () => {
          await remote.connect()
          try {
            for (const [topic, msg] of script) {
              await sleep(step)
              await remote.publish(P + topic, msg)
            }
          } finally {
            remoteDone = true
            await remote.disconnect()
          }
        })()
    if (args['listen-only']) print(`Listening for ${duration} ms: send "on"/"off" to ${P}home/<room>/light`)

    // while True: c.wait_msg() — bounded here: until the remote's whole script has arrived
    // (or --duration has passed), with a deadline in case messages are lost.
    let failure: unknown
    remoteRun.catch((error: unknown) => (failure = error))
    const finished = (): boolean => remoteDone && (args['listen-only'] === true || received >= script.length)
    const deadline = Date.now() + (args['listen-only'] ? duration : script.length * step) + 10_000
    while (!finished() && failure === undefined && Date.now() < deadline) await switchClient.waitMsg(100)
    await remoteRun
    if (!finished()) throw new Error(`only ${received} of the remote's ${script.length} messages arrived in time`)
    const on = [...lights].filter(([, isOn]) => isOn).map(([room]) => room)
    print(`Done. Lights on: ${on.length ? on.join(', ') : 'none'}.`)
  } finally {
    clearInterval(pinger)
    listening.abort()
    await remote.disconnect()
    await switchClient.disconnect() // the tutorial's finally: c.disconnect()
    await broker.close()
  }
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
