/**
 * Durable sessions against a scripted broker, for the exact packets of a restart (contract §7):
 * an inbound QoS 2 message whose PUBREC went out is not delivered again by a client started anew
 * with the store (the broker sends it again with DUP), and an outbound QoS 2 message past PUBREC
 * is released with PUBREL, never sent again as PUBLISH, under the same packet id; and an inbound id
 * in the store is forgotten, and a message in flight goes as new, when the broker kept no session.
 */
import { expect, test } from 'vitest'
import { MemoryStore } from '@x/robust'
import { FakeBroker, type FakeConnection } from './support/fake-broker.js'
import { storedOnce, storedState } from './support/durable-log.js'
import { scriptedRestarts } from './support/durable-scripted.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const { broker, brokers, client, firstRun } = scriptedRestarts()

/** The broker's inbound QoS 2 PUBLISH of `payload` under packet id 7 (`dup`: sent again). */
const inboundQos2 = (payload: string, dup = false) =>
  ({ type: 'publish', topic: 'in/q2', payload: new TextEncoder().encode(payload), qos: 2, pid: 7, retain: false, dup }) as const

/** The packet id of a decoded acknowledgement. */
const pidOf = (packet: unknown): number => (packet as { pid: number }).pid

/**
 * A first run that received an inbound QoS 2 `payload` with packet id 7 (its listener pushing to
 * `got`), sent PUBREC, and "died" before any PUBREL came: the id is in the store.
 */
async function receivedThenDied(b: FakeBroker, store: MemoryStore, id: string, payload: string, got: string[]): Promise<void> {
  const first = client(id, b.url, store)
  first.on('message', (_t, p) => got.push(p.toString()))
  await first.connect()
  const conn = (await b.connection(0)) as FakeConnection
  conn.send(inboundQos2(payload))
  expect(pidOf(await conn.next('pubrec'))).toBe(7)
  expect(got).toEqual([payload])
  await first.close()
  expect((await storedState(store)).inbound).toEqual([7])
}

test('an inbound QoS 2 message whose PUBREC went out is not delivered again after a restart with the store', async () => {
  const b = await broker()
  const store = new MemoryStore()
  const id = uid('durable-in')
  const got: string[] = []
  await receivedThenDied(b, store, id, 'once', got)

  const second = client(id, b.url, store)
  second.on('message', (_t, payload) => got.push(payload.toString()))
  await second.connect()
  const again = (await b.connection(1)) as FakeConnection
  // The broker has no PUBREC of ours it trusts: it sends the message again, with DUP.
  again.send(inboundQos2('once', true))
  expect(pidOf(await again.next('pubrec'))).toBe(7)
  again.send({ type: 'pubrel', pid: 7 })
  expect(pidOf(await again.next('pubcomp'))).toBe(7)
  await sleep(50)
  expect(got).toEqual(['once'])
  await second.close()
  expect((await storedState(store)).inbound).toEqual([])
})

// The other side of the same promise: an id stored as received means nothing to a broker that lost
// the session. Kept, it would take the broker's next message with that id for the old one.
test('an inbound QoS 2 id in the store, and a broker that kept no session: its next message with that packet id is delivered, and the store forgets the id', async () => {
  const b = await broker(1)
  const store = new MemoryStore()
  const id = uid('durable-in-lost')
  const got: string[] = []
  await receivedThenDied(b, store, id, 'before', got)

  const second = client(id, b.url, store)
  second.on('message', (_t, payload) => got.push(payload.toString()))
  expect(await second.connect()).toBe(false)
  await sleep(50) // the store's next batch (at most 10 ms away)
  expect((await storedState(store)).inbound).toEqual([]) // forgotten at the CONNACK, not left to suppress a later message
  const again = (await b.connection(1)) as FakeConnection
  // A new message that happens to get packet id 7: not a duplicate.
  again.send(inboundQos2('after'))
  expect(pidOf(await again.next('pubrec'))).toBe(7)
  await waitFor(() => got.length === 2, 'the new message')
  expect(got).toEqual(['before', 'after'])
  again.send({ type: 'pubrel', pid: 7 })
  expect(pidOf(await again.next('pubcomp'))).toBe(7)
  await second.close()
  expect((await storedState(store)).inbound).toEqual([])
})

// Contract §7: in-flight messages go again with their packet ids (DUP) if the broker kept the
// session, "as new messages otherwise": the broker that lost the session never had them.
test('an outbound QoS 2 message in flight, and a broker that kept no session: after a restart with the store it goes as a new PUBLISH (not DUP), and its outcome is told by id', async () => {
  const { b, store, id, first, conn } = await firstRun('durable-out-lost', 1)
  first.publish('out/q2', 'owed', { qos: 2, id: 'owed-1' }).catch(() => {})
  const sent = await conn.next('publish')
  expect(sent).toMatchObject({ qos: 2, dup: false })
  // The process "dies" here: no PUBREC has come.
  await first.close()

  const second = client(id, b.url, store)
  const delivered: string[] = []
  second.on('delivered', (message) => delivered.push(message.id as string))
  expect(await second.connect()).toBe(false)
  const again = (await b.connection(1)) as FakeConnection
  const resent = await again.next('publish')
  expect(resent).toMatchObject({ topic: 'out/q2', qos: 2, dup: false })
  expect(new TextDecoder().decode(resent.payload)).toBe('owed')
  again.send({ type: 'pubrec', pid: pidOf(resent) })
  expect(pidOf(await again.next('pubrel'))).toBe(pidOf(resent))
  again.send({ type: 'pubcomp', pid: pidOf(resent) })
  await waitFor(() => delivered.length === 1, 'the restored message delivered')
  expect(delivered).toEqual(['owed-1'])
  await second.close()
  expect((await storedState(store)).messages).toEqual([])
})

test('an outbound QoS 2 message past PUBREC: after a restart with the store, PUBREL with the same packet id, no PUBLISH again; then delivered', async () => {
  const { b, store, id, first, conn } = await firstRun('durable-out')
  const publishing = first.publish('out/q2', 'exactly once', { qos: 2, id: 'the-one' })
  publishing.catch(() => {})
  const publish = await conn.next('publish')
  conn.send({ type: 'pubrec', pid: publish.pid as number })
  expect(pidOf(await conn.next('pubrel'))).toBe(publish.pid)
  // The process "dies" before PUBCOMP.
  await first.close()
  await expect(publishing).rejects.toMatchObject({ code: 'ECLOSED' })

  const second = client(id, b.url, store)
  const delivered: Array<string | undefined> = []
  const restored: unknown[] = []
  second.on('delivered', (message) => delivered.push(message.id))
  second.on('restored', (info) => restored.push(info))
  await second.connect()
  expect(restored).toEqual([{ queued: 0, inFlight: 1, inbound: 0, subscriptions: 0 }])
  const again = (await b.connection(1)) as FakeConnection
  expect(pidOf(await again.next('pubrel'))).toBe(publish.pid)
  again.send({ type: 'pubcomp', pid: publish.pid as number })
  await waitFor(() => delivered.length === 1, 'the restored message delivered')
  expect(delivered).toEqual(['the-one'])
  expect(again.received.filter((p) => p.type === 'publish')).toEqual([])
  await second.close()
  expect((await storedState(store)).messages).toEqual([])
})

test('a QoS 2 PUBLISH reaches the broker only once its packet id is in the store (exactly once across a crash needs the broker never to hold an id the store does not)', async () => {
  const b = await broker()
  // A slow disk: 100 ms a batch, so that a PUBLISH that did not wait would arrive first.
  const store = new (class extends MemoryStore {
    override async batch(ops: Parameters<MemoryStore['batch']>[0]): Promise<void> {
      await sleep(100)
      await super.batch(ops)
    }
  })()
  // One in flight at a time: each message waits in the queue (its own record long durable) until the one before is done.
  const c = client(uid('durable-flight'), b.url, store, { maxInFlight: 1 })
  await c.connect()
  const conn = (await b.connection(0)) as FakeConnection
  // Whether the store holds each PUBLISH's packet id, in flight, at the moment it arrives.
  const heldAtArrival: boolean[] = []
  const publishing = [1, 2, 3].map((i) => c.publish('out/flight', `m${i}`, { qos: 2 }))
  for (const p of publishing) p.catch(() => {})
  for (let i = 0; i < 3; i++) {
    const publish = await conn.next('publish')
    heldAtArrival.push((await storedState(store)).messages.some(({ flight }) => flight?.pid === publish.pid))
    conn.send({ type: 'pubrec', pid: publish.pid as number })
    expect(pidOf(await conn.next('pubrel'))).toBe(publish.pid)
    conn.send({ type: 'pubcomp', pid: publish.pid as number })
  }
  await Promise.all(publishing)
  expect(heldAtArrival).toEqual([true, true, true])
})

test('across a snapshot of the log: messages in flight past PUBREC and before it come back after a restart, with their packet ids, in order', async () => {
  const b = await broker()
  const store = new MemoryStore()
  const id = uid('durable-snapshot')
  // A window of 40: the 30 messages and the subscriptions below all fit.
  const first = client(id, b.url, store, { maxInFlight: 40 })
  await first.connect()
  const conn = (await b.connection(0)) as FakeConnection
  // 30 QoS 2 messages; the broker answers PUBREC to the first 10 only.
  const publishing = Array.from({ length: 30 }, (_, i) => first.publish('out/snap', `m${i}`, { qos: 2, id: `m${i}` }))
  for (const p of publishing) p.catch(() => {})
  const sent: number[] = []
  for (let i = 0; i < 30; i++) sent.push((await conn.next('publish')).pid as number)
  for (const pid of sent.slice(0, 10)) {
    conn.send({ type: 'pubrec', pid })
    expect(pidOf(await conn.next('pubrel'))).toBe(pid)
  }
  // Then more than 64 KiB of log while they wait (subscriptions to long filters, taken back): a snapshot replaces the log.
  for (let i = 0; i < 3; i++) {
    const filter = `snap/${String(i).repeat(30_000)}`
    const subscribing = first.subscribe(filter, { qos: 1 })
    conn.send({ type: 'suback', pid: (await conn.next('subscribe')).pid as number, returnCodes: [1] })
    await subscribing
    const unsubscribing = first.unsubscribe(filter)
    conn.send({ type: 'unsuback', pid: (await conn.next('unsubscribe')).pid as number })
    await unsubscribing
  }
  await sleep(50) // the idle batch
  const log = await store.scan('l/')
  expect(log.length, 'one snapshot and what came after it').toBeLessThan(20)
  expect(log[0]?.[1][0], 'the first value is a snapshot').toBe(1) // RESET
  await first.close()

  const second = client(id, b.url, store, { maxInFlight: 40 })
  const restored: unknown[] = []
  second.on('restored', (info) => restored.push(info))
  await second.connect()
  expect(restored).toEqual([{ queued: 0, inFlight: 30, inbound: 0, subscriptions: 0 }])
  const again = (await b.connection(1)) as FakeConnection
  // Released ones: PUBREL with their ids; the others: PUBLISH again with theirs (DUP).
  for (const pid of sent.slice(0, 10)) expect(pidOf(await again.next('pubrel'))).toBe(pid)
  for (const pid of sent.slice(10)) {
    const publish = await again.next('publish')
    expect([publish.pid, publish.dup, new TextDecoder().decode(publish.payload as Uint8Array)]).toEqual([
      pid,
      true,
      `m${sent.indexOf(pid)}`,
    ])
  }
  await second.close()
})

// Nodes that keep a session each (bridged brokers): back on a node whose session is older, the
// inbound ids held are another node's, and the simple client drops them. The store must too: a
// stored id left behind would take that node's next message under it for a duplicate after a restart.
test('an inbound QoS 2 id received on one node, the client back on a node with a session of its own: the store forgets the id, as the client does', async () => {
  const [a, b] = [await FakeBroker.start(), await FakeBroker.start()]
  brokers.push(a, b)
  // A: no session at first, then the one it kept; B: none (so the nodes keep a session each).
  a.onConnection = async (conn) => {
    await conn.next('connect')
    conn.send({ type: 'connack', sessionPresent: a.connections.length > 1, returnCode: 0 })
  }
  b.onConnection = async (conn) => {
    await conn.next('connect')
    conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
  }
  const store = new MemoryStore()
  const c = client(uid('durable-in-nodes'), [a.url, b.url], store)
  const connects: boolean[] = []
  c.on('connect', (sessionPresent) => connects.push(sessionPresent))
  await c.connect()
  ;((await a.connection(0)) as FakeConnection).destroy()
  const onB = (await b.connection(0, 5000)) as FakeConnection
  await waitFor(() => connects.length === 2, 'on B')
  onB.send(inboundQos2('on B'))
  expect(pidOf(await onB.next('pubrec'))).toBe(7)
  expect((await storedOnce(store, ({ inbound }) => inbound.length === 1, 'the id stored')).inbound).toEqual([7])
  onB.destroy()
  await a.connection(1, 5000)
  await waitFor(() => connects.length === 3, 'back on A')
  expect(connects).toEqual([false, false, true])
  await storedOnce(store, ({ inbound }) => inbound.length === 0, "B's inbound id forgotten back on A")
})
