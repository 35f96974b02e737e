/**
 * Message expiry across a restart with a store (contract §6 and §7, [MQTT-3.3.2-6]): a message
 * queued with a `messageExpiryInterval` counts it from `publish()`, also across the restart of the
 * process that held it. Queued while the broker is unreachable, the client closed (the process
 * "dies"), 2.5 s pass, a new client with the store connects to mosquitto (MQTT 5): the message with
 * 2 s is not sent (a 'drop' event, reason 'expired'), the one with 30 s goes carrying what is left.
 * Before, a restored message started its whole interval again, so a command meant to lapse could
 * reach its device long after. A clock set back between the two runs (a device without a real-time
 * clock) makes the wait count as none, never as a longer interval.
 */
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { MemoryStore, RobustClient } from '@x/robust'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const DOWN_MS = 2500

let mosquitto: Mosquitto
let proxy: FaultProxy
const clients: RobustClient[] = []
beforeAll(async () => {
  mosquitto = await startMosquitto()
  proxy = await startFaultProxy({ targetPort: mosquitto.ports.plain })
}, 30_000)
afterAll(async () => {
  for (const c of clients) await c.close()
  await proxy?.close()
  await mosquitto?.stop()
})

const robust = (options: ConstructorParameters<typeof RobustClient>[0]): RobustClient => {
  const c = new RobustClient({ protocolVersion: 5, reconnect: { minDelayMs: 20, maxDelayMs: 100, jitter: false }, ...options })
  clients.push(c)
  return c
}

/** A subscriber on mosquitto itself: each payload that arrives on `topic`, with the expiry interval it carried. */
async function arrivals(topic: string): Promise<Map<string, number | undefined>> {
  const subscriber = robust({ clientId: uid('durable-expiry-sub'), server: mosquitto.urls.plain })
  const arrived = new Map<string, number | undefined>()
  subscriber.on('message', (_t, payload, info) => arrived.set(payload.toString(), info.properties?.messageExpiryInterval))
  await subscriber.connect()
  await subscriber.subscribe(topic, { qos: 1 })
  return arrived
}

/** A first run of the publisher: `publish` with the broker unreachable, then close() (the process "dies"): what it published stays in `store`, owed. */
async function firstRun(clientId: string, store: MemoryStore, publish: (client: RobustClient) => void): Promise<void> {
  await proxy.refuse()
  const first = robust({ clientId, server: proxy.url, store })
  void first.connect().catch(() => {})
  publish(first)
  await sleep(50)
  await first.close()
  await proxy.accept()
}

test(`messages restored from a store keep counting their expiry from publish(): after ${DOWN_MS} ms down, 2 s is dropped as expired and 30 s arrives carrying what is left`, async () => {
  const topic = uid('durable-expiry')
  const arrived = await arrivals(topic)
  const store = new MemoryStore()
  const clientId = uid('durable-expiry-pub')
  await firstRun(clientId, store, (first) => {
    first.publish(topic, 'short', { qos: 1, id: 'short', properties: { messageExpiryInterval: 2 } }).catch(() => {})
    first.publish(topic, 'long', { qos: 1, id: 'long', properties: { messageExpiryInterval: 30 } }).catch(() => {})
  })
  await sleep(DOWN_MS)

  const second = robust({ clientId, server: proxy.url, store })
  const drops: Array<[string | undefined, string]> = []
  const delivered: Array<string | undefined> = []
  second.on('drop', (message, reason) => drops.push([message.id, reason]))
  second.on('delivered', (message) => delivered.push(message.id))
  await second.connect()
  await waitFor(() => delivered.length + drops.length >= 2, 'both restored messages settled', 10_000)
  await waitFor(() => arrived.has('long'), 'the long one at the subscriber', 5000)
  await sleep(200) // the short one would come now
  expect(drops).toEqual([['short', 'expired']])
  expect(delivered).toEqual(['long'])
  expect(arrived.has('short')).toBe(false)
  // 30 s less the 2.5 s it waited across the restart (whole seconds, rounded down as sent).
  expect(arrived.get('long')).toBeLessThanOrEqual(28)
  expect(arrived.get('long')).toBeGreaterThanOrEqual(20)
}, 30_000)

test('a clock set back across the restart (publish() saw a time an hour ahead of the restarted process): the message goes with its interval as given, not more', async () => {
  const topic = uid('durable-expiry-clock')
  const arrived = await arrivals(topic)
  const store = new MemoryStore()
  const clientId = uid('durable-expiry-clock-pub')
  await firstRun(clientId, store, (first) => {
    const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_600_000)
    first.publish(topic, 'ahead', { qos: 1, properties: { messageExpiryInterval: 30 } }).catch(() => {})
    clock.mockRestore()
  })

  const second = robust({ clientId, server: proxy.url, store })
  await second.connect()
  await waitFor(() => arrived.has('ahead'), 'the message at the subscriber', 5000)
  expect(arrived.get('ahead')).toBe(30)
}, 30_000)
