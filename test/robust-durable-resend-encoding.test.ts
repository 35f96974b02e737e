/**
 * What a QoS 2 message in flight when the process died is sent as after the restart (contract §6
 * and §7): a PUBLISH with DUP and the same packet id, on a new connection, in the protocol that
 * connection speaks. The bytes that went out on the connection that died are not that packet:
 * - MQTT 5 may have named the topic there by an alias, and an alias lives as long as one
 *   connection [MQTT-3.3.2-7]: resent, it is unknown, the broker refuses it as a protocol error,
 *   and every reconnection sends the same packet again;
 * - a program upgraded from 3.1.1 to 5 (or back) between the two runs speaks another encoding:
 *   a 3.1.1 PUBLISH read as MQTT 5 takes the payload's first bytes for properties, and an MQTT 5
 *   one read as 3.1.1 delivers its properties as the start of the payload.
 *
 * Against mosquitto (its default configuration offers 10 topic aliases, and @x/simple uses them by
 * default, from a topic's second message on): the first run's PUBRECs are held by a proxy that
 * reads the protocol it forwards, the client is closed (the process "dies": what is in flight
 * stays in the store, owed), and a new client on the store connects through a proxy of its own
 * version. Each resend must decode there with its topic name, payload and DUP, all on one
 * connection, and each message reaches a subscriber once.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MemoryStore, RobustClient } from '@x/robust'
import type { PublishProperties, QoS } from '@x/simple'
import { startDurableWireProxy, type DurableWireProxy, type WirePacket } from './support/durable-wire-proxy.js'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

/** What both versions' proxies tell of a packet: its type, and a PUBLISH's fields. */
interface Seen {
  type: string
  topic?: string
  dup?: boolean
  payload?: Uint8Array
  properties?: { topicAlias?: number; messageExpiryInterval?: number }
}
type Wire = DurableWireProxy<Seen, Seen>

let mosquitto: Mosquitto
const wires: Record<4 | 5, Wire> = {} as Record<4 | 5, Wire>
const clients: RobustClient[] = []
beforeAll(async () => {
  mosquitto = await startMosquitto()
  wires[4] = (await startDurableWireProxy(mosquitto.ports.plain)) as Wire
  wires[5] = (await startDurableWireProxy(mosquitto.ports.plain, 5)) as Wire
}, 30_000)
afterAll(async () => {
  for (const c of clients) await c.close()
  for (const wire of Object.values(wires)) await wire.close()
  await mosquitto?.stop()
})

const robust = (options: ConstructorParameters<typeof RobustClient>[0]): RobustClient => {
  const c = new RobustClient({ reconnect: { minDelayMs: 20, maxDelayMs: 100, jitter: false }, ...options })
  clients.push(c)
  return c
}

/** The connections a proxy has seen packets on, from `since` on. */
const connectionsOf = (wire: Wire, since: number): Set<number> =>
  new Set(wire.up.flatMap(({ connection }) => (connection >= since ? [connection] : [])))

const publishesOf = (packets: Array<WirePacket<Seen>>, connection: number): Seen[] =>
  packets.flatMap(({ connection: c, packet }) => (c === connection && packet.type === 'publish' ? [packet] : []))

interface Run {
  /** Protocol versions of the run before the restart and of the one after. */
  versions: [4 | 5, 4 | 5]
  qos?: Exclude<QoS, 0>
  /** Messages that settle before the acknowledgements are held (they set a topic alias on MQTT 5). */
  settled: string[]
  /** Messages in flight when the first run ends. */
  inFlight: string[]
  /** MQTT 5 properties of messages, by payload. */
  properties?: Record<string, PublishProperties>
  /** How long the process is "down" between the runs. */
  downMs?: number
  /** Whether every message is expected at the subscriber (waited for, up to 5 s). */
  arrives?: boolean
}

/** The first run publishes, its acknowledgements held for `inFlight`, and dies; the second restores. Returns what it saw. */
async function restart({ versions: [before, after], qos = 2, settled, inFlight, properties = {}, downMs = 0, arrives = true }: Run) {
  const ack = qos === 2 ? 'pubrec' : 'puback'
  const options = (payload: string) => ({ qos, id: payload, ...(properties[payload] && { properties: properties[payload] }) })
  const topic = uid('durable-resend')
  const subscriber = robust({ clientId: uid('durable-resend-sub'), server: mosquitto.urls.plain, protocolVersion: 5 })
  const arrived: string[] = []
  subscriber.on('message', (_t, payload) => arrived.push(payload.toString()))
  await subscriber.connect()
  await subscriber.subscribe(topic, { qos })

  const store = new MemoryStore()
  const clientId = uid('durable-resend-pub')
  const [wire, wireAfter] = [wires[before], wires[after]]
  const firstConnection = connectionsOf(wire, 0).size
  const first = robust({ clientId, server: wire.url, store, protocolVersion: before })
  await first.connect()
  for (const payload of settled) await first.publish(topic, payload, options(payload))
  // From here the broker's acknowledgements stay in the proxy: what is published stays in flight.
  wire.onDown = (packet) => (packet.type === ack ? 'hold' : 'pass')
  for (const payload of inFlight) first.publish(topic, payload, options(payload)).catch(() => {})
  const sentFirst = (): Seen[] => publishesOf(wire.up, firstConnection)
  await waitFor(() => sentFirst().length === settled.length + inFlight.length, 'every PUBLISH at the broker')
  await waitFor(() => wire.down.some(({ packet, forwarded }) => packet.type === ack && !forwarded), 'an acknowledgement held by the proxy')
  await first.close()
  wire.onDown = () => 'pass'
  await sleep(downMs)

  const since = connectionsOf(wireAfter, 0).size
  const second = robust({ clientId, server: wireAfter.url, store, protocolVersion: after })
  const delivered: Array<string | undefined> = []
  second.on('delivered', (message) => delivered.push(message.id))
  await second.connect()
  const enough = (): boolean => delivered.length === inFlight.length || connectionsOf(wireAfter, since).size > 1
  await waitFor(enough, 'every restored message delivered, or a second connection', 10_000)
  if (arrives) await waitFor(() => arrived.length >= settled.length + inFlight.length, 'every message at the subscriber')
  return {
    topic,
    sentFirst: sentFirst(),
    resent: publishesOf(wireAfter.up, since).map((p) => [p.topic, p.dup, Buffer.from(p.payload ?? []).toString()]),
    resentExpiry: publishesOf(wireAfter.up, since).map((p) => p.properties?.messageExpiryInterval),
    resentAlias: publishesOf(wireAfter.up, since).map((p) => p.properties?.topicAlias),
    refusals: wireAfter.down
      .filter(({ connection, packet }) => connection >= since && packet.type === 'disconnect')
      .map(({ packet }) => packet),
    connections: connectionsOf(wireAfter, since).size,
    delivered,
    arrived,
  }
}

/** After the restart: no refusal, one connection, each message in flight resent with DUP and its topic name, in order, and delivered. */
function expectResent(run: Awaited<ReturnType<typeof restart>>, inFlight: string[]): void {
  expect(run.refusals).toEqual([])
  expect(run.connections).toBe(1)
  expect(run.resent).toEqual(inFlight.map((payload) => [run.topic, true, payload]))
  expect(run.delivered).toEqual(inFlight)
}

test('MQTT 5: QoS 2 messages sent under a topic alias go again after the restart with their topic name', async () => {
  const run = await restart({ versions: [5, 5], settled: ['one', 'two'], inFlight: ['three', 'four'] })
  // The premise: the second message on the topic set the alias, and it stood alone for the next two.
  expect(run.sentFirst.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
    [run.topic, undefined],
    [run.topic, 1],
    ['', 1],
    ['', 1],
  ])
  expectResent(run, ['three', 'four'])
  expect(run.arrived).toEqual(['one', 'two', 'three', 'four'])
}, 30_000)

test('MQTT 5: a Topic Alias the caller chose goes no further than the connection that died: resent with the topic name and no alias', async () => {
  const properties = { three: { topicAlias: 3 }, four: { topicAlias: 3 } }
  const run = await restart({ versions: [5, 5], settled: [], inFlight: ['three', 'four'], properties })
  expect(run.sentFirst.map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
    [run.topic, 3],
    [run.topic, 3],
  ])
  expectResent(run, ['three', 'four'])
  expect(run.resentAlias).toEqual([undefined, undefined])
}, 30_000)

test.each([
  [4, 5, 2],
  [5, 4, 2],
  [4, 5, 1],
  [5, 4, 1],
] as const)(
  'a store written by an MQTT %s client, restored by an MQTT %s one: its QoS %s messages in flight go in the new protocol, payloads intact',
  async (before, after, qos) => {
    const run = await restart({ versions: [before, after], qos, settled: ['one'], inFlight: ['two', 'three'] })
    expectResent(run, ['two', 'three'])
    // QoS 1 may deliver a resent message twice (the broker had it): at least once, and intact.
    expect(qos === 2 ? run.arrived : [...new Set(run.arrived)]).toEqual(['one', 'two', 'three'])
  },
  30_000,
)

test('MQTT 5: a message in flight across the restart goes again with what is left of its expiry interval, counted from publish(); run out, with 1 s; without one, with none', async () => {
  const properties = { long: { messageExpiryInterval: 30 }, short: { messageExpiryInterval: 2 } }
  const run = await restart({
    versions: [5, 5],
    settled: [],
    inFlight: ['long', 'short', 'plain'],
    properties,
    downMs: 2500,
    arrives: false,
  })
  expect(run.sentFirst.map((p) => p.properties?.messageExpiryInterval)).toEqual([30, 2, undefined])
  expectResent(run, ['long', 'short', 'plain'])
  const [long, short, plain] = run.resentExpiry
  expect(long).toBeLessThanOrEqual(28)
  expect(long).toBeGreaterThanOrEqual(20)
  expect(short).toBe(1)
  expect(plain).toBeUndefined()
}, 30_000)
