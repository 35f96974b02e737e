/**
 * The property behind "a session is the client id's": a @x/robust client on two nodes, [A, B],
 * does random things in a random order — subscribe, unsubscribe, publish at QoS 1 and 2, its link
 * cut (it moves to the other node), its link black-holed and then cut (what was in flight is
 * stranded) — and at the end:
 * - every promise it returned has settled, and none was rejected (nothing may be dropped here);
 * - every message reached the far side, and every QoS 2 message once: exactly once in a cluster
 *   that shares its sessions, and at most once per node where each node has its own (a message
 *   the old node took and the client could not hear acknowledged goes again, as new, to a node
 *   that has no session: aedes passes a QoS 2 message on as soon as it takes it, so it can arrive
 *   once through each node; nothing can tell the client which it was, and losing it is worse);
 * - the node it is on holds exactly the subscriptions the calls asked for.
 * Two topologies: two aedes nodes with a session each (as bridged brokers have), where what the
 * client did on one node the other never heard of; and two nodes of one aedes cluster, sharing
 * every session. Seeded (the seed is in the test name), bounded in steps and time.
 */
import { afterEach, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import type { QoS } from '@x/simple'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { startEmbeddedCluster } from '../examples/lib/cluster.js'
import { startCounter, type Counter } from './support/counter.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { Prng } from './support/prng.js'
import { uid } from './support/test-clients.js'
import { inspect, sleep, waitFor, withDeadline, type Outcome } from './support/wait.js'

const SEEDS = [11, 23, 37]
const STEPS = 30
const FILTERS = 4

type Step = 'publish' | 'subscribe' | 'unsubscribe' | 'cut' | 'strand' | 'pause'
const STEPS_BY_WEIGHT: Step[] = [
  ...Array<Step>(6).fill('publish'),
  ...Array<Step>(3).fill('subscribe'),
  ...Array<Step>(2).fill('unsubscribe'),
  ...Array<Step>(2).fill('cut'),
  'strand',
  ...Array<Step>(2).fill('pause'),
]

interface Node {
  broker: EmbeddedBroker
  proxy: FaultProxy
}

const cleanup: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** Two nodes, each behind a fault proxy: independent brokers, or two nodes of one cluster. */
async function nodes(shared: boolean): Promise<[Node, Node]> {
  let brokers: EmbeddedBroker[]
  if (shared) {
    const cluster = await startEmbeddedCluster(2)
    cleanup.push(() => cluster.close())
    brokers = cluster.nodes
  } else {
    brokers = [await startEmbeddedBroker(), await startEmbeddedBroker()]
    for (const b of brokers) cleanup.push(() => b.close())
  }
  const out: Node[] = []
  for (const broker of brokers) {
    const proxy = await startFaultProxy({ targetPort: broker.port })
    cleanup.push(() => proxy.close())
    out.push({ broker, proxy })
  }
  return out as [Node, Node]
}

async function run(seed: number, shared: boolean): Promise<void> {
  const prng = new Prng(seed)
  const [a, b] = await nodes(shared)
  const base = uid(`moves-${seed}`)
  const data = `${base}/data`
  // The far side: one counter per broker that hears different things; one for a cluster.
  const counters: Counter[] = []
  for (const node of shared ? [a] : [a, b]) counters.push(await startCounter(node.broker.url, data, 2, uid('counter')))
  for (const counter of counters) cleanup.push(() => counter.stop())

  const client = new RobustClient({
    clientId: uid('mover'),
    server: [a.proxy.url, b.proxy.url],
    cleanSession: false,
    keepaliveSec: 0,
    messageTimeoutMs: 0,
    reconnect: { minDelayMs: 20, maxDelayMs: 50, jitter: false, stableAfterMs: 0 },
  })
  cleanup.push(() => client.close())
  client.on('error', () => {})
  const heard: string[] = []
  client.on('message', (topic, payload) => heard.push(`${topic} ${payload}`))
  // aedes says a session is present only when it holds a subscription: one that stays.
  await client.connect()
  await client.subscribe(`${base}/keep`, { qos: 1 })

  const outcomes: Array<() => Outcome<unknown>> = []
  const sent: Array<{ payload: string; qos: QoS }> = []
  const wanted = new Map<string, boolean>()
  const current = (): Node => (client.server === a.proxy.url ? a : b)

  for (let i = 0; i < STEPS; i++) {
    const step = prng.pick(STEPS_BY_WEIGHT)
    const filter = `${base}/f${prng.int(FILTERS)}`
    switch (step) {
      case 'publish': {
        const qos = prng.pick([1, 2] as const)
        const payload = `${i}`
        sent.push({ payload, qos })
        outcomes.push(inspect(client.publish(data, payload, { qos })))
        break
      }
      case 'subscribe':
        wanted.set(filter, true)
        outcomes.push(inspect(client.subscribe(filter, { qos: prng.pick([0, 1, 2] as const) })))
        break
      case 'unsubscribe':
        wanted.set(filter, false)
        outcomes.push(inspect(client.unsubscribe(filter)))
        break
      case 'cut':
        current().proxy.cut()
        break
      case 'strand': {
        const node = current()
        node.proxy.blackhole()
        await sleep(prng.range(10, 60))
        node.proxy.cut()
        node.proxy.pass()
        break
      }
      case 'pause':
        await sleep(prng.range(5, 40))
        break
    }
    await sleep(prng.range(0, 10))
  }

  // 1. Every promise settles, resolved.
  await withDeadline(
    (async () => {
      while (outcomes.some((o) => o().state === 'pending')) await sleep(10)
    })(),
    15_000,
    'every promise settled',
  )
  expect(outcomes.filter((o) => o().state === 'rejected').map((o) => o())).toEqual([])

  // 2. Every message arrived; QoS 2 exactly once.
  const total = (payload: string): number => counters.reduce((n, c) => n + (c.counts.get(payload) ?? 0), 0)
  await waitFor(() => sent.every(({ payload }) => total(payload) >= 1), 'every message at the far side', 10_000)
  await sleep(100)
  const twice = sent.filter(({ payload, qos }) => qos === 2 && counters.some((c) => (c.counts.get(payload) ?? 0) > 1))
  expect(twice.map(({ payload }) => [payload, counters.map((c) => c.counts.get(payload) ?? 0)])).toEqual([])

  // 3. The node the client is on holds what the calls asked for. Subscription changes go before
  // messages and the broker answers in order: this acknowledged, every change has been made.
  await client.publish(`${base}/sync`, 'x', { qos: 1 })
  const node = current()
  const other = new RobustClient({ clientId: uid('probe'), server: node.broker.url })
  cleanup.push(() => other.close())
  await other.connect()
  for (let f = 0; f < FILTERS; f++) await other.publish(`${base}/f${f}`, 'marker', { qos: 1 })
  const expected = [...wanted].filter(([, on]) => on).map(([filter]) => `${filter} marker`)
  await waitFor(() => expected.every((m) => heard.includes(m)), `the markers of ${expected.length} subscriptions`, 5000)
  await sleep(150)
  expect(heard.filter((m) => m.endsWith(' marker')).sort()).toEqual(expected.sort())
}

describe.each([
  ['a session per node', false],
  ['a cluster sharing its sessions', true],
])('[A, B], %s', (_name, shared) => {
  test.each(SEEDS)('seed %i: every promise settles, every message arrives (QoS 2 once per session), subscriptions as asked', (seed) =>
    run(seed, shared),
  )
})
