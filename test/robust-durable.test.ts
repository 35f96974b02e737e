/**
 * Durable sessions over the Store interface (contract §7), in one process: a client closed with
 * messages queued and in flight leaves them in its store, and a new client with the same store
 * (a process started again) sends them, tells their outcomes by id, and renews its subscriptions;
 * the store is written ahead of the wire; a store of another client id, or one whose writes fail,
 * is loud. The crash tests (SIGKILL, a real LevelStore) are in robust-durable-crash.test.ts.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { MemoryStore, RobustClient, type Message, type RestoredInfo, type Store, type StoreOp } from '@x/robust'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { R, recordsOf, storedState } from './support/durable-log.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor, withDeadline } from './support/wait.js'

let broker: EmbeddedBroker
let proxy: FaultProxy
const clients: RobustClient[] = []
beforeAll(async () => {
  broker = await startEmbeddedBroker()
  proxy = await startFaultProxy({ targetPort: broker.port })
})
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
})
afterAll(async () => {
  await proxy?.close()
  await broker?.close()
})

const robust = (options: ConstructorParameters<typeof RobustClient>[0]): RobustClient => {
  const c = new RobustClient({ reconnect: { minDelayMs: 20, maxDelayMs: 100 }, ...options })
  clients.push(c)
  return c
}

/** A subscriber on the broker itself, counting what arrives on `topic`. */
async function subscriber(topic: string): Promise<string[]> {
  const got: string[] = []
  const c = robust({ clientId: uid('durable-sub'), server: broker.url })
  c.on('message', (_t, payload) => got.push(payload.toString()))
  await c.connect()
  await c.subscribe(topic, { qos: 2 })
  return got
}

test('messages queued while the broker is unreachable survive close(): a new client with the store sends them, each outcome an event with its id', async () => {
  const topic = uid('durable/q')
  const got = await subscriber(topic)
  const store = new MemoryStore()
  const clientId = uid('durable-pub')
  await proxy.refuse()
  const first = robust({ clientId, server: proxy.url, store })
  void first.connect().catch(() => {})
  const published = [0, 1, 2].flatMap((qos) =>
    [0, 1].map((i) => first.publish(topic, `q${qos}-${i}`, { qos: qos as 0 | 1 | 2, id: `m-${qos}-${i}` })),
  )
  for (const p of published) p.catch(() => {})
  await sleep(50)
  await first.close()
  await Promise.allSettled(published)

  await proxy.accept()
  const second = robust({ clientId, server: proxy.url, store })
  const restored: RestoredInfo[] = []
  const delivered: Message[] = []
  second.on('restored', (info) => restored.push(info))
  second.on('delivered', (message) => delivered.push(message))
  await second.connect()
  await waitFor(() => delivered.length === 6, 'six restored messages delivered', 5000)
  expect(restored).toEqual([{ queued: 6, inFlight: 0, inbound: 0, subscriptions: 0 }])
  expect(delivered.map((m) => m.id).sort()).toEqual(['m-0-0', 'm-0-1', 'm-1-0', 'm-1-1', 'm-2-0', 'm-2-1'])
  await waitFor(() => got.length >= 6, 'six at the subscriber', 5000)
  expect([...got].sort()).toEqual(['q0-0', 'q0-1', 'q1-0', 'q1-1', 'q2-0', 'q2-1'])
  // Delivered: they left the store; a third client finds nothing.
  await second.close()
  const third = robust({ clientId, server: proxy.url, store })
  const again: RestoredInfo[] = []
  third.on('restored', (info) => again.push(info))
  await third.connect()
  expect(again).toEqual([{ queued: 0, inFlight: 0, inbound: 0, subscriptions: 0 }])
})

test('a store of another client id: connect() rejects with ESTORE naming both ids', async () => {
  const store = new MemoryStore()
  const a = robust({ clientId: uid('owner'), server: broker.url, store })
  await a.connect()
  await a.close()
  const b = robust({ clientId: 'someone-else', server: broker.url, store })
  await expect(b.connect()).rejects.toMatchObject({ code: 'ESTORE', message: expect.stringContaining('someone-else') })
})

test('a store whose log is not ours or is damaged: connect() rejects with ESTORE saying so, and sends nothing', async () => {
  const id = uid('damaged')
  const store = new MemoryStore()
  const a = robust({ clientId: id, server: broker.url, store })
  await a.connect()
  await a.publish(uid('damaged/t'), 'x', { qos: 1 })
  await a.close()
  // A value in the log cut short, as a torn or foreign write would leave it.
  const [key, value] = (await store.scan('l/')).at(-1) as [string, Uint8Array]
  await store.batch([{ type: 'put', key, value: Uint8Array.of(2, ...value.subarray(0, 5)) }])
  const b = robust({ clientId: id, server: broker.url, store })
  await expect(b.connect()).rejects.toMatchObject({ code: 'ESTORE', message: expect.stringMatching(/cannot be read: its log is corrupt/) })
})

/** A store that records when each batch resolved, and can be made to fail. */
class WatchedStore extends MemoryStore implements Store {
  readonly committedAt: Array<{ at: number; ops: readonly StoreOp[] }> = []
  delayMs = 0
  failAfter = Infinity
  override async batch(ops: readonly StoreOp[]): Promise<void> {
    if (this.delayMs) await sleep(this.delayMs)
    if (this.committedAt.length >= this.failAfter) throw new Error('disk full')
    await super.batch(ops)
    this.committedAt.push({ at: Date.now(), ops })
  }
}

test('write-ahead: no PUBLISH reaches the broker before the store has the message (a store 150 ms slow)', async () => {
  const topic = uid('durable/ahead')
  const arrivals: number[] = []
  const listener = robust({ clientId: uid('durable-sub'), server: broker.url })
  listener.on('message', () => arrivals.push(Date.now()))
  await listener.connect()
  await listener.subscribe(topic, { qos: 1 })
  const store = new WatchedStore()
  const c = robust({ clientId: uid('durable-ahead'), server: broker.url, store })
  await c.connect()
  store.delayMs = 150
  const before = store.committedAt.length
  await withDeadline(c.publish(topic, 'x', { qos: 1 }), 5000, 'the publish')
  await waitFor(() => arrivals.length === 1, 'the message at the subscriber', 2000)
  const recorded = store.committedAt.slice(before).find(({ ops }) => recordsOf(ops).some((record) => record.type === R.MESSAGE))
  expect(recorded, 'a batch with the message').toBeDefined()
  expect(arrivals[0] as number).toBeGreaterThanOrEqual((recorded as { at: number }).at)
})

test('a failing write: the publish rejects with ESTORE, an error event says why, nothing of it is sent, the client closes', async () => {
  const topic = uid('durable/fail')
  const got = await subscriber(topic)
  const store = new WatchedStore()
  const c = robust({ clientId: uid('durable-fail'), server: broker.url, store })
  const errors: unknown[] = []
  c.on('error', (e) => errors.push(e))
  await c.connect()
  store.failAfter = store.committedAt.length
  await expect(c.publish(topic, 'lost?', { qos: 1 })).rejects.toMatchObject({
    code: 'ESTORE',
    message: expect.stringContaining('disk full'),
  })
  expect(errors).toMatchObject([{ code: 'ESTORE' }])
  await sleep(200)
  expect(got).toEqual([])
  await expect(c.publish(topic, 'after', { qos: 1 })).rejects.toMatchObject({ code: 'ECLOSED' })
})

test('subscriptions are in the store: a new client with it, on a broker that has no session, subscribes again; close() leaves the store open', async () => {
  const topic = uid('durable/sub')
  const store = new MemoryStore()
  const clientId = uid('durable-subscriber')
  const first = robust({ clientId, server: broker.url, store })
  await first.connect()
  await first.subscribe(topic, { qos: 1 })
  await first.close()
  // The store stays open for its owner.
  expect((await storedState(store)).subscriptions.map(({ filter }) => filter)).toEqual([topic])

  const other = await startEmbeddedBroker() // knows nothing of the client: no session
  try {
    const second = robust({ clientId, server: other.url, store })
    const restored: RestoredInfo[] = []
    const got: string[] = []
    second.on('restored', (info) => restored.push(info))
    second.on('message', (_t, payload) => got.push(payload.toString()))
    expect(await second.connect()).toBe(false)
    expect(restored).toEqual([{ queued: 0, inFlight: 0, inbound: 0, subscriptions: 1 }])
    const publisher = robust({ clientId: uid('durable-pub'), server: other.url })
    await publisher.connect()
    // The renewal goes first after connecting; a message published once it is granted arrives.
    for (let i = 0; i < 50 && !got.length; i++) {
      await publisher.publish(topic, 'after the restart', { qos: 1 })
      await sleep(20)
    }
    expect(got[0]).toBe('after the restart')
    await second.close()
    await publisher.close()
  } finally {
    await other.close()
  }
})

// Contract §7: subscriptions are renewed when the broker has no session, not when it kept one (a
// SUBSCRIBE again would make the broker send its retained messages again after every restart).
test('subscriptions are in the store: a new client with it, on the broker that kept its session, does not subscribe again (no retained message comes twice), and what is published arrives', async () => {
  const topic = uid('durable/kept')
  const publisher = robust({ clientId: uid('durable-pub'), server: broker.url })
  await publisher.connect()
  await publisher.publish(topic, 'retained', { qos: 1, retain: true })
  const store = new MemoryStore()
  const clientId = uid('durable-subscriber')
  const first = robust({ clientId, server: broker.url, store })
  const before: string[] = []
  first.on('message', (_t, payload) => before.push(payload.toString()))
  await first.connect()
  await first.subscribe(topic, { qos: 1 })
  await waitFor(() => before.length > 0, 'the retained message')
  await first.close()

  const second = robust({ clientId, server: broker.url, store })
  const got: string[] = []
  second.on('message', (_t, payload) => got.push(payload.toString()))
  expect(await second.connect()).toBe(true) // the broker kept the session
  await sleep(300) // a SUBSCRIBE would bring the retained message now
  await publisher.publish(topic, 'live', { qos: 1 })
  await waitFor(() => got.includes('live'), 'the live message')
  expect({ before, got }).toEqual({ before: ['retained'], got: ['live'] })
  await publisher.publish(topic, '', { qos: 1, retain: true }) // clears it
})

test('a store that stops answering: close() still ends, after socketTimeoutMs, and the publish waiting on it rejects with ECLOSED', async () => {
  const store = new WatchedStore()
  const c = robust({ clientId: uid('durable-hang'), server: broker.url, store, socketTimeoutMs: 300 })
  await c.connect()
  // From now on every batch hangs: the message's record is never durable, so its PUBLISH never goes.
  store.batch = () => new Promise<void>(() => {})
  const publishing = c.publish(uid('durable/hang'), 'x', { qos: 1 })
  publishing.catch(() => {})
  await sleep(50)
  const started = Date.now()
  await withDeadline(c.close(), 3000, 'close()')
  expect(Date.now() - started).toBeGreaterThanOrEqual(250)
  await expect(publishing).rejects.toMatchObject({ code: 'ECLOSED' })
})

test('a store that never opens: connect({ signal }) ends with the signal, and close() ends a connect() still reading it, at once', async () => {
  const hanging = new MemoryStore()
  hanging.open = () => new Promise<void>(() => {})
  const c = robust({ clientId: uid('durable-never-opens'), server: broker.url, store: hanging })
  const started = Date.now()
  await expect(c.connect({ signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' })
  expect(Date.now() - started).toBeLessThan(1000)
  // Called again, it waits for the same reading (not a second one), until close().
  const again = c.connect()
  again.catch(() => {})
  await sleep(50)
  await withDeadline(c.close(), 1000, 'close()')
  await expect(again).rejects.toMatchObject({ code: 'ECLOSED' })
})

test('a store holding keys @x/robust does not write (another program, an older layout): connect() rejects with ESTORE naming one, and sends nothing', async () => {
  const store = new MemoryStore()
  await store.open()
  await store.batch([{ type: 'put', key: 'q/0000000000000001', value: new Uint8Array(3) }])
  const c = robust({ clientId: uid('foreign'), server: broker.url, store })
  await expect(c.connect()).rejects.toMatchObject({ code: 'ESTORE', message: expect.stringContaining('"q/0000000000000001"') })
})
