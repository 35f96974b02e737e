/**
 * A session is the client id's, not the connection's: whichever server list entry the client
 * lands on, a broker that kept the session gets what was in flight again (same packet ids, DUP),
 * and the subscriptions it holds end up as the user's calls asked, whichever node kept which
 * session. aedes nodes on loopback behind fault proxies: independent ones (a session per node, as
 * bridged brokers have) and a cluster sharing one store (a session found on every node).
 */
import { afterEach, expect, test } from 'vitest'
import { RobustClient, type RobustOptions } from '@x/robust'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { startEmbeddedCluster } from '../examples/lib/cluster.js'
import { startCounter, type Counter } from './support/counter.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startMosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { inspect, sleep, waitFor } from './support/wait.js'

const cleanup: Array<() => Promise<unknown>> = []
let testTopic = ''
/** A topic prefix of this test's own. */
const base = (): string => (testTopic ||= uid('moves/base'))
afterEach(async () => {
  testTopic = ''
  for (const step of cleanup.splice(0).reverse()) await step()
})

async function broker(): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker()
  cleanup.push(() => b.close())
  return b
}

async function proxyTo(b: { port: number }): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ targetPort: b.port })
  cleanup.push(() => proxy.close())
  return proxy
}

/** Two independent aedes brokers (a session each), each behind a fault proxy. */
async function twoNodes(): Promise<{ a: EmbeddedBroker; b: EmbeddedBroker; toA: FaultProxy; toB: FaultProxy }> {
  const a = await broker()
  const b = await broker()
  return { a, b, toA: await proxyTo(a), toB: await proxyTo(b) }
}

/** A client straight to the broker at `url` counting what arrives on `topic` (stopped after the test). */
async function counted(url: string, topic: string, qos: 1 | 2 = 1): Promise<Counter> {
  const counter = await startCounter(url, topic, qos, uid('counter'))
  cleanup.push(() => counter.stop())
  return counter
}

function robust(server: string[], options: Partial<RobustOptions> = {}) {
  const client = new RobustClient({
    clientId: uid('mover'),
    server,
    cleanSession: false,
    keepaliveSec: 0,
    messageTimeoutMs: 0,
    reconnect: { minDelayMs: 100, maxDelayMs: 200, jitter: false, stableAfterMs: 0 },
    ...options,
  })
  const connects: Array<[string, boolean]> = []
  client.on('connect', (sessionPresent, at) => connects.push([at, sessionPresent]))
  client.on('error', () => {})
  cleanup.push(() => client.close())
  return { client, connects }
}

/** The link to `from` goes down for good (refused, cut): the client moves on, to its `n`th connection. */
async function leave(from: FaultProxy, connects: unknown[], n: number, what: string): Promise<void> {
  await from.refuse()
  from.cut()
  await waitFor(() => connects.length === n, what)
}

/** Back from B to A: A accepts again, B goes down; the client's `n`th connection is to A. */
async function backTo(a: FaultProxy, b: FaultProxy, connects: unknown[], n: number): Promise<void> {
  await a.accept()
  await leave(b, connects, n, 'the move back to A')
}

/** Publishes to `topic` from a client of its own, straight to the broker at `url`. */
async function publishFrom(url: string, topic: string, payload = 'x'): Promise<void> {
  const other = new RobustClient({ clientId: uid('other'), server: url })
  cleanup.push(() => other.close())
  await other.connect()
  await other.publish(topic, payload, { qos: 1 })
}

/**
 * Publishes three QoS 1 messages into a black-holed link, so they are in flight and unknown to
 * the broker, then cuts it: the next connection must send them again.
 */
async function strandThree(client: RobustClient, proxy: FaultProxy, topic: string) {
  // aedes says a session is present only when it holds a subscription.
  await client.subscribe(`${topic}/commands`, { qos: 1 })
  proxy.blackhole()
  const sent = ['one', 'two', 'three'].map((text) => inspect(client.publish(topic, text, { qos: 1 })))
  await waitFor(() => client.inFlight === 3, 'three messages in flight')
  return sent
}

test('[u, u]: a move to the same broker, which kept the session, sends what was in flight again', async () => {
  const b = await broker()
  const proxy = await proxyTo(b)
  const topic = uid('moves/same')
  const counter = await counted(b.url, topic)
  const { client, connects } = robust([proxy.url, proxy.url])
  await client.connect()
  const sent = await strandThree(client, proxy, topic)
  proxy.cut()
  proxy.pass()
  await waitFor(() => sent.every((s) => s().state === 'resolved'), 'the three publish() calls resolved', 5000)
  expect(connects.map(([, present]) => present)).toEqual([false, true])
  await waitFor(() => counter.missing(['one', 'two', 'three']).length === 0, 'the three at the broker')
  // Later publishes take fresh packet ids: nothing overwrites what the table holds.
  await Promise.all(['four', 'five'].map((text) => client.publish(topic, text, { qos: 1 })))
  expect(client.inFlight).toBe(0)
  await waitFor(() => counter.missing(['four', 'five']).length === 0, 'the later two')
})

test('[A, B] back to A: B is down, A kept the session, and what was in flight goes again', async () => {
  const { a, toA, toB } = await twoNodes()
  const topic = uid('moves/back')
  const counter = await counted(a.url, topic)
  const { client, connects } = robust([toA.url, toB.url])
  await client.connect()
  await toB.refuse()
  const sent = await strandThree(client, toA, topic)
  toA.cut()
  toA.pass()
  await waitFor(() => sent.every((s) => s().state === 'resolved'), 'the three publish() calls resolved', 5000)
  expect(connects).toEqual([
    [toA.url, false],
    [toA.url, true],
  ])
  await waitFor(() => counter.missing(['one', 'two', 'three']).length === 0, 'the three at A')
})

test('a cluster sharing its sessions: the node the client moves to resends what was in flight on the other', async () => {
  const cluster = await startEmbeddedCluster(2)
  cleanup.push(() => cluster.close())
  const [a, b] = cluster.nodes as [EmbeddedBroker, EmbeddedBroker]
  const toA = await proxyTo(a)
  const topic = uid('moves/cluster')
  const counter = await counted(b.url, topic)
  const { client, connects } = robust([toA.url, b.url])
  await client.connect()
  const sent = await strandThree(client, toA, topic)
  await toA.refuse()
  toA.cut()
  await waitFor(() => sent.every((s) => s().state === 'resolved'), 'the three publish() calls resolved', 5000)
  expect(connects).toEqual([
    [toA.url, false],
    [b.url, true],
  ])
  await waitFor(() => counter.missing(['one', 'two', 'three']).length === 0, 'the three through B')
  await Promise.all(['four', 'five'].map((text) => client.publish(topic, text, { qos: 1 })))
  expect(client.inFlight).toBe(0)
})

test('[A, B] with a session on each node: back on A, A subscribes what was subscribed on B and drops what was unsubscribed there', async () => {
  const { a, toA, toB } = await twoNodes()
  const base = uid('fs')
  const heard: string[] = []
  const { client, connects } = robust([toA.url, toB.url])
  client.on('message', (topic) => heard.push(topic))
  await client.connect()
  await client.subscribe(`${base}/old`, { qos: 1 })
  // A goes away: on B (no session there) the client renews fs/old, then changes its mind.
  await leave(toA, connects, 2, 'the move to B')
  await client.subscribe(`${base}/new`, { qos: 1 })
  await client.unsubscribe(`${base}/old`)
  // B goes away; A, which kept its session (fs/old only), takes the client back.
  await backTo(toA, toB, connects, 3)
  expect(connects.map(([at, present]) => [at, present])).toEqual([
    [toA.url, false],
    [toB.url, false],
    [toA.url, true],
  ])
  // What A holds now must be what the calls asked for: fs/new, and not fs/old.
  const other = new RobustClient({ clientId: uid('other'), server: a.url })
  cleanup.push(() => other.close())
  await other.connect()
  // Subscription changes go before messages, and A answers in order: once this is acknowledged,
  // A has done whatever the client asked of it on arrival.
  await client.publish(`${base}/marker`, 'x', { qos: 1 })
  await other.publish(`${base}/old`, 'x', { qos: 1 })
  await other.publish(`${base}/new`, 'x', { qos: 1 })
  await waitFor(() => heard.includes(`${base}/new`), 'a message on fs/new through A')
  await sleep(100)
  expect(heard).toEqual([`${base}/new`])
})

test('two mosquitto daemons with a session each: a QoS 2 message B acknowledged with PUBREC, taken back to A, is passed on once', async () => {
  // mosquitto passes a QoS 2 message on only at PUBREL. B's PUBREC comes, the PUBREL never
  // reaches B; back on A, which holds an older session, a PUBREL alone would be answered by A
  // (PUBCOMP for an id it does not know) and the message would stay on B for ever.
  const [a, b] = [await startMosquitto(), await startMosquitto()]
  cleanup.push(
    () => a.stop(),
    () => b.stop(),
  )
  const toA = await proxyTo({ port: a.ports.plain })
  const toB = await proxyTo({ port: b.ports.plain })
  const topic = uid('moves/released')
  const counters = [await counted(a.urls.plain, topic, 2), await counted(b.urls.plain, topic, 2)]
  const { client, connects } = robust([toA.url, toB.url])
  await client.connect()
  // A goes away: B has no session, so the nodes keep one each.
  await leave(toA, connects, 2, 'the move to B')
  // Slow B's link, so that the PUBREL answering B's PUBREC is still in the proxy when B is cut.
  toB.delay(300)
  const before = toB.stats.bytesToClient
  const sent = inspect(client.publish(topic, 'once', { qos: 2 }))
  await waitFor(() => toB.stats.bytesToClient >= before + 4, 'the PUBREC from B', 5000)
  await toA.accept()
  await toB.refuse()
  toB.cut()
  await waitFor(() => sent().state !== 'pending', 'the publish settled', 5000)
  expect(connects.map(([, present]) => present)).toEqual([false, false, true])
  expect(sent().state).toBe('resolved')
  const total = (): number => counters.reduce((n, c) => n + (c.counts.get('once') ?? 0), 0)
  await waitFor(() => total() > 0, 'the message at A or B', 3000)
  await sleep(200)
  expect(counters.map((c) => c.counts.get('once') ?? 0)).toEqual([1, 0])
})

test('a renewal one node refuses does not take the subscription away from the node that holds it', async () => {
  const { a, b, toA, toB } = await twoNodes()
  // B refuses every subscription under r/ (SUBACK 0x80).
  const refusing = b.broker as unknown as {
    authorizeSubscribe: (c: unknown, s: { topic: string }, cb: (e: null, s: unknown) => void) => void
  }
  refusing.authorizeSubscribe = (_client, sub, done) => done(null, sub.topic.startsWith(`${base()}/`) ? null : sub)
  const { client, connects } = robust([toA.url, toB.url])
  const errors: string[] = []
  client.on('error', (error) => errors.push((error as { code?: string }).code ?? error.message))
  const heard: string[] = []
  client.on('message', (topic) => heard.push(topic))
  await client.connect()
  await client.subscribe(`${base()}/#`, { qos: 1 })
  await leave(toA, connects, 2, 'the move to B')
  await waitFor(() => errors.includes('ESUBACKFAIL'), 'the renewal refused on B')
  await backTo(toA, toB, connects, 3)
  await client.publish(`${base()}-marker`, 'x', { qos: 1 })
  await publishFrom(a.url, `${base()}/1`)
  await waitFor(() => heard.includes(`${base()}/1`), 'the message on A')
})

test('resubscribe: false still takes an unsubscribe made elsewhere to the node that kept the filter', async () => {
  const { a, toA, toB } = await twoNodes()
  const { client, connects } = robust([toA.url, toB.url], { resubscribe: false })
  const heard: string[] = []
  client.on('message', (topic) => heard.push(topic))
  await client.connect()
  await client.subscribe(`${base()}/#`, { qos: 1 })
  await leave(toA, connects, 2, 'the move to B')
  await client.unsubscribe(`${base()}/#`)
  await backTo(toA, toB, connects, 3)
  await client.publish(`${base()}-marker`, 'x', { qos: 1 })
  await publishFrom(a.url, `${base()}/1`)
  await sleep(300)
  expect(heard).toEqual([])
})

test('a cluster sharing its sessions: a move to a node never seen subscribes nothing again, so retained messages come once', async () => {
  const cluster = await startEmbeddedCluster(2)
  cleanup.push(() => cluster.close())
  const [a, b] = cluster.nodes as [EmbeddedBroker, EmbeddedBroker]
  const retainer = new RobustClient({ clientId: uid('retainer'), server: a.url })
  cleanup.push(() => retainer.close())
  await retainer.connect()
  await retainer.publish(`${base()}/x`, 'retained', { qos: 1, retain: true })
  const toA = await proxyTo(a)
  const { client, connects } = robust([toA.url, b.url])
  const heard: string[] = []
  client.on('message', (topic, _payload, { retained }) => heard.push(`${topic} ${retained}`))
  await client.connect()
  await client.subscribe(`${base()}/#`, { qos: 1 })
  await waitFor(() => heard.length === 1, 'the retained message')
  await leave(toA, connects, 2, 'the move to B')
  await client.publish(`${base()}-marker`, 'x', { qos: 1 })
  await sleep(200)
  expect(connects.map(([, present]) => present)).toEqual([false, true])
  expect(heard).toEqual([`${base()}/x true`])
})
