/**
 * A flaky link, with @x/robust (umqtt.robust2's role next to simple2, seed 002).
 *
 * A pump controller publishes a pressure reading at QoS 1 every interval and subscribes to the
 * same topic, so it can count what arrives. In the middle of the run the embedded broker is
 * stopped, and started again on the same port a moment later (as a broker restart or a dead
 * uplink would look). The client keeps publishing through it: the output shows the queue
 * growing while offline, the reconnect attempts with their backoff, the subscription being
 * renewed (the restarted broker has no session), the queue draining, and every message arriving.
 *
 * With --url there is no broker to stop: restart yours during the run to see the same.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { RobustClient } from '@x/robust'
import { isMqttError } from '@x/simple'
import { BROKER_USAGE, intArg, parseExampleArgs } from './lib/args.js'
import { openBroker } from './lib/broker.js'
import { startEmbeddedBroker, type EmbeddedBroker } from './lib/embedded-broker.js'
import { withDeadline, waitUntil } from './lib/deadline.js'
import { explain, isMain, runMain, type Print } from './lib/main.js'
import { topicPrefix } from './lib/prefix.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run flaky-link [options]
Keeps publishing at QoS 1 with @x/robust while the embedded broker is stopped and restarted.
  --count N          readings to publish (default 12)
  --interval MS      one reading every MS (default 250)
  --down-at N        stop the embedded broker after reading N (default 4)
  --outage MS        how long it stays down (default 1500)
  --prefix P         put the topic under P (default: none on the embedded broker, random elsewhere)
${BROKER_USAGE}`

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, {
    count: { type: 'string' },
    interval: { type: 'string' },
    'down-at': { type: 'string' },
    outage: { type: 'string' },
    prefix: { type: 'string' },
  })
  if (args.help) return print(USAGE)
  const count = intArg(args.count, 'count', 12, 1, 10_000)
  const interval = intArg(args.interval, 'interval', 250)
  const downAt = intArg(args['down-at'], 'down-at', 4, 0)
  const outage = intArg(args.outage, 'outage', 1500)

  const broker = await openBroker(args, { print })
  // The broker that is running now: the first one, then the restarted one.
  let embedded: EmbeddedBroker | undefined = broker.embedded
  const t0 = Date.now()
  const log = (line: string): void => print(`${((Date.now() - t0) / 1000).toFixed(2).padStart(6)}s  ${line}`)

  const topic = `${topicPrefix(args.prefix, broker, print)}pumps/7/pressure`
  const client = new RobustClient({
    clientId: `pump-7-${randomBytes(2).toString('hex')}`,
    ...broker.options,
    keepaliveSec: 10,
    // Quick retries for the demo: 200 ms, then twice as long each time, at most 1 s, with jitter.
    reconnect: { minDelayMs: 200, maxDelayMs: 1000, factor: 2, jitter: true },
    queue: { maxMessages: 1000, overflow: 'drop-oldest' },
  })
  const received = new Map<string, number>() // payload → times received (QoS 1 may repeat)
  client.on('message', (_topic, payload) => {
    const text = payload.toString()
    received.set(text, (received.get(text) ?? 0) + 1)
    log(`  <- received ${text}`)
  })
  let connects = 0
  client.on('connect', (sessionPresent) =>
    log(
      ++connects === 1
        ? 'connected'
        : sessionPresent
          ? 'reconnected; the broker kept our session and subscription'
          : 'reconnected; the broker has no session: the client subscribes again, then sends its queue',
    ),
  )
  client.on('disconnect', (error) => log(`link lost: ${explain(error)}`))
  client.on('reconnecting', ({ attempt, delayMs, error }) =>
    log(`reconnecting: attempt ${attempt} after ${delayMs} ms${isMqttError(error) ? ` (last error ${error.code})` : ''}`),
  )
  client.on('drop', (message, reason) => log(`dropped ${new TextDecoder().decode(message.payload)} (${reason})`))
  client.on('error', (error) => log(`error: ${explain(error)}`))
  // The broker's side of the (re)subscription.
  const watch = (b: EmbeddedBroker): void => {
    b.broker.on('subscribe', (subs) => log(`  broker: subscription to ${subs.map((s) => s.topic).join(', ')}`))
  }
  if (embedded) watch(embedded)
  else print(`No embedded broker to stop: restart ${broker.url} yourself within ${(count * interval) / 1000} s to see the reconnect.`)

  let restartTimer: ReturnType<typeof setTimeout> | undefined
  let restart: Promise<void> | undefined
  const stopBroker = async (running: EmbeddedBroker): Promise<void> => {
    const port = running.port
    log(`** stopping the broker on port ${port} for ${outage} ms **`)
    embedded = undefined
    await running.close()
    restartTimer = setTimeout(() => {
      restart = startEmbeddedBroker({ ...broker.embeddedOptions, port }).then(
        (b) => {
          embedded = b
          watch(b)
          log(`** broker back on port ${port} **`)
        },
        (error: unknown) => log(`could not restart the broker: ${explain(error)}`),
      )
    }, outage)
  }

  const deliveries: Array<Promise<void>> = []
  try {
    await client.connect()
    await client.subscribe(topic, { qos: 1 })
    log(`subscribed to ${topic}`)

    for (let i = 1; i <= count; i++) {
      const reading = `reading #${i}`
      // Not awaited: publish() resolves on PUBACK, which may come after an outage.
      const delivered = client.publish(topic, reading, { qos: 1 }).then(() => log(`  delivered ${reading}`))
      delivered.catch(() => {}) // a failure is reported by the wait for all of them below
      deliveries.push(delivered)
      log(`publish ${reading}  (queued ${client.queued}, in flight ${client.inFlight})`)
      if (i === downAt && embedded) await stopBroker(embedded)
      await sleep(interval)
    }

    // Every reading must be delivered (PUBACK) and come back: bounded waits.
    const patience = 15_000 + outage
    await withDeadline(Promise.all(deliveries), patience, 'every reading to be delivered')
    await waitUntil(() => received.size >= count, patience)
    const missing = Array.from({ length: count }, (_, i) => `reading #${i + 1}`).filter((r) => !received.has(r))
    const repeats = [...received.values()].reduce((n, times) => n + times - 1, 0)
    log(`${count - missing.length}/${count} readings arrived${repeats ? ` (${repeats} twice: QoS 1 is at least once)` : ''}`)
    if (missing.length) throw new Error(`missing: ${missing.join(', ')}`)
  } finally {
    clearTimeout(restartTimer)
    await client.close()
    await restart
    if (embedded !== broker.embedded) await embedded?.close() // the restarted one
    await broker.close() // the first one (closing it again is harmless) and its certificates
  }
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
