/**
 * Seed 000 — EMQX's "MicroPython umqtt with a TLS-only cloud broker" tutorial.
 *
 * Connects over TLS, trusting one CA file and sending SNI (EMQX Serverless tells tenants apart
 * by SNI and refuses a TLS connection without it), logs in with user and password, then publishes
 * a JSON counter every second and waits with waitMsg() for each to come back on the same topic.
 *
 * Offline, an embedded broker serves TLS with a certificate made for this run and requires the
 * tutorial's user emqx / public.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { MqttClient } from '@x/simple'
import { BROKER_USAGE, intArg, parseExampleArgs } from './lib/args.js'
import { openBroker } from './lib/broker.js'
import { isMain, runMain, type Print } from './lib/main.js'
import { topicPrefix } from './lib/prefix.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run tls-cloud-broker [options]
Publishes {"msg": n} every second over TLS and waits for each to come back (seed 000).
  --count N          messages to send (default 3)
  --interval MS      pause between messages (default 1000)
  --topic TOPIC      topic (default raspberry/mqtt)
  --prefix P         put the topic under P (default: none on the embedded broker, random elsewhere)
  --wait MS          how long to wait for each message to come back (default 5000)
${BROKER_USAGE}`

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, {
    count: { type: 'string' },
    interval: { type: 'string' },
    topic: { type: 'string' },
    prefix: { type: 'string' },
    wait: { type: 'string' },
  })
  if (args.help) return print(USAGE)
  const count = intArg(args.count, 'count', 3, 1)
  const interval = intArg(args.interval, 'interval', 1000)
  const wait = intArg(args.wait, 'wait', 5000, 1)

  // The tutorial's Serverless credentials; offline, the embedded broker requires them.
  const broker = await openBroker(args, { tls: true, user: 'emqx', password: 'public', print })
  try {
    const TOPIC = topicPrefix(args.prefix, broker, print) + (args.topic ?? 'raspberry/mqtt')
    const CLIENT_ID = `micropython-client-${randomBytes(2).toString('hex')}`
    const client = new MqttClient({
      clientId: CLIENT_ID,
      ...broker.options,
      // The tutorial's ssl_params: trust the CA that issued the broker's certificate
      // (cert_reqs = CERT_REQUIRED, cadata) and send SNI (server_hostname). @x/simple already
      // sends the host name as SNI; it is spelled out here because the cloud broker needs it.
      ...(broker.tls && {
        tls: {
          ...(broker.caFile && { ca: readFileSync(broker.caFile) }),
          ...(!isIP(broker.host) && { servername: broker.host }),
          rejectUnauthorized: true,
        },
      }),
    })

    // on_message: print what came back. Set before subscribing, so nothing is missed.
    let received: string | undefined
    client.setCallback((topic, payload) => {
      received = new TextDecoder().decode(payload)
      print(`Received '${received}' from topic '${topic}'`)
    })

    await client.connect()
    print(`Connected to MQTT Broker "${broker.host}"`)
    try {
      await client.subscribe(TOPIC)
      for (let n = 0; n < count; n++) {
        const msg = JSON.stringify({ msg: n })
        received = undefined
        await client.publish(TOPIC, msg)
        print(`Send '${msg}' to topic '${TOPIC}'`)
        // wait_msg(): block until the broker forwards our message back. Bounded, so a broker that
        // never echoes ends the example with an error instead of hanging it.
        const deadline = Date.now() + wait
        while (received !== msg && Date.now() < deadline) await client.waitMsg(deadline - Date.now())
        if (received !== msg) throw new Error(`'${msg}' did not come back on '${TOPIC}' within ${wait} ms`)
        if (n < count - 1) await sleep(interval)
      }
      print(`All ${count} message${count === 1 ? '' : 's'} came back.`)
    } finally {
      await client.disconnect()
    }
  } finally {
    await broker.close()
  }
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
