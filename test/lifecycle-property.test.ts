/**
 * A lifecycle property, against aedes and mosquitto behind a fault proxy: whatever a program does
 * in whatever order — connect, publish at QoS 0..2, subscribe, unsubscribe, the link cut or
 * black-holed, the broker restarted — and wherever close() falls in it, afterwards every promise
 * the client returned has settled, no event fires, and no socket or timer of the client is left.
 *
 * The sequences are random but seeded (the seed is in the test name), bounded in steps and time.
 * MQTT 5 runs against mosquitto too, with what only it has: requests waiting for an answer that
 * may never come, messages that expire in the queue, and sending paused after a refusal. And with
 * a store (durable sessions, a LevelStore in a temporary folder): its writes may be under way
 * wherever close() falls, and none may outlive it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient, type RobustEvents } from '@x/robust'
import type { QoS } from '@x/simple'
import { BROKERS } from './support/brokers.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { temporaryStore } from './support/temporary-store.js'
import { Prng } from './support/prng.js'
import { restartable, type Restartable } from './support/restartable.js'
import { uid } from './support/test-clients.js'
import { flush, inspect, sleep, withDeadline, type Outcome } from './support/wait.js'

const SEQUENCES = 6
const STEPS = 30

type Step = 'publish' | 'subscribe' | 'unsubscribe' | 'cut' | 'blackhole' | 'restart' | 'pause' | 'close' | 'request'
const STEPS_BY_WEIGHT: Step[] = [
  ...Array<Step>(8).fill('publish'),
  ...Array<Step>(3).fill('subscribe'),
  ...Array<Step>(2).fill('unsubscribe'),
  ...Array<Step>(2).fill('cut'),
  'blackhole',
  'restart',
  ...Array<Step>(3).fill('pause'),
  'close',
]
// MQTT 5 adds requests (nobody answers: they time out, or close() settles them).
const STEPS_V5: Step[] = [...STEPS_BY_WEIGHT, 'request', 'request']
const EVENTS: Array<keyof RobustEvents> = ['connect', 'disconnect', 'reconnecting', 'message', 'drop', 'error']

/** The client's own handles: sockets and timers (the broker's and the proxy's counted out by taking a baseline). */
function handles(): { sockets: number; timers: number } {
  const all = process.getActiveResourcesInfo()
  return { sockets: all.filter((t) => t === 'TCPSocketWrap' || t === 'TLSWrap').length, timers: all.filter((t) => t === 'Timeout').length }
}

const CASES: ReadonlyArray<readonly [(typeof BROKERS)[number], 4 | 5, '' | 'with a LevelStore']> = [
  ...BROKERS.map((name) => [name, 4, ''] as const),
  ['mosquitto', 5, ''],
  ['aedes', 4, 'with a LevelStore'],
  ['mosquitto', 5, 'with a LevelStore'],
]

describe.each(CASES)('%s, MQTT version %i %s', (name, version, durable) => {
  let broker: Restartable
  let proxy: FaultProxy

  beforeAll(async () => {
    broker = await restartable(name)
    proxy = await startFaultProxy({ targetPort: broker.port, websocket: broker.websocket })
  })
  afterAll(async () => {
    await proxy?.close()
    await broker?.close()
  })

  const seeds = Array.from({ length: SEQUENCES }, (_, i) => 1000 * (BROKERS.indexOf(name) + 1) + 100 * (version - 4) + (durable ? 50 : 0) + i)
  test.each(seeds)('seed %i: after close(), every promise settled, no event, no socket or timer left', async (seed) => {
    const rng = new Prng(seed)
    const before = handles()
    const stored = durable ? temporaryStore('property') : undefined
    const client = new RobustClient({
      ...(stored && { store: stored.store }),
      clientId: uid(`property-${seed}`),
      server: proxy.url,
      keepaliveSec: 1,
      socketTimeoutMs: 500,
      messageTimeoutMs: 500,
      reconnect: { minDelayMs: 10, maxDelayMs: 100 },
      queue: { maxMessages: 50 },
      ...(version === 5 && { protocolVersion: 5 }),
    })
    let closed = false
    let eventsAfterClose: string[] = []
    for (const event of EVENTS) client.on(event, () => void (closed && eventsAfterClose.push(event)))
    const promises: Array<() => Outcome<unknown>> = []
    const track = <T>(promise: Promise<T>): void => {
      promise.catch(() => {})
      promises.push(inspect(promise))
    }
    const filters = ['p/a', 'p/b/+', 'p/#']
    track(client.connect())
    const done: string[] = []
    for (let n = 0; n < STEPS; n++) {
      const step = rng.pick(version === 5 ? STEPS_V5 : STEPS_BY_WEIGHT)
      done.push(step)
      if (step === 'close') break
      const expiring = version === 5 && rng.int(2) ? { properties: { messageExpiryInterval: 1 } } : {}
      if (step === 'publish') track(client.publish(`p/${rng.pick(['a', 'b/c', 'd'])}`, `${seed}-${n}`, { qos: rng.int(3) as QoS, ...expiring }))
      else if (step === 'request') track(client.request(`p/request/${n}`, `${seed}-${n}`, { qos: rng.int(3) as QoS, timeoutMs: rng.range(50, 1500) }))
      else if (step === 'subscribe') track(client.subscribe(rng.pick(filters), { qos: rng.int(3) as QoS }))
      else if (step === 'unsubscribe') track(client.unsubscribe(rng.pick(filters)))
      else if (step === 'cut') proxy.cut()
      else if (step === 'blackhole') {
        proxy.blackhole()
        await sleep(rng.range(50, 700))
        proxy.cut()
        proxy.pass()
      } else if (step === 'restart') {
        await broker.down()
        await sleep(rng.range(10, 300))
        await broker.up()
      } else await sleep(rng.range(0, 150))
    }
    await withDeadline(client.close(), 5000, `close() after ${done.join(', ')}`)
    closed = true
    await flush()
    const pending = promises.map((p) => p().state).filter((state) => state === 'pending')
    expect(pending, `promises pending after ${done.join(', ')}`).toEqual([])
    // Every call after close() rejects at once too.
    await expect(client.publish('p/a', 'late')).rejects.toMatchObject({ code: 'ECLOSED' })
    proxy.pass()
    proxy.cut() // what the broker side still had of the client's connection
    await sleep(200)
    expect(eventsAfterClose, 'events after close()').toEqual([])
    let after = handles()
    for (let i = 0; i < 40 && (after.sockets > before.sockets || after.timers > before.timers); i++) {
      await sleep(25)
      after = handles()
    }
    expect(after.sockets, `sockets left after ${done.join(', ')}`).toBeLessThanOrEqual(before.sockets)
    expect(after.timers, `timers left after ${done.join(', ')}`).toBeLessThanOrEqual(before.timers)
    // close() leaves the store open for its owner, with nothing of the client's still writing to it.
    await stored?.remove()
  })
})
