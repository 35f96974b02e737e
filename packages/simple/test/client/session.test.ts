/**
 * The client's half of the session across connections: a lost link surfaces once (then
 * ECONNOT), and a resumed session sends again what was not acknowledged [MQTT-4.4.0-1].
 */
import { expect, test } from 'vitest'
import { SDELIVERED, SLOST, SUNKNOWNPID } from '@x/simple'
import { Session } from '../../src/client/session.js'
import { recordingClient } from '../support/recording-client.js'

test('a lost link is ECONCLOSE from the next call, once; then ECONNOT until connect()', async () => {
  const { client, broker } = recordingClient()
  await client.connect()
  broker.last.drop()
  expect(client.isConnected).toBe(false)
  await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'ECONCLOSE', errno: 1 })
  await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'ECONNOT', errno: 28 })
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
  await client.connect()
  expect(await client.publish('t', 'x')).toBeUndefined()
  await client.disconnect()
})

test('a resumed session resends unacknowledged PUBLISH with DUP and the same pid, and PUBREL past PUBREC', async () => {
  const { client, broker, statuses } = recordingClient({ messageTimeoutMs: 0 })
  await client.connect({ cleanSession: false })
  const first = broker.last
  const q1 = (await client.publish('a', 'one', { qos: 1 })) as number
  const q2 = (await client.publish('b', 'two', { qos: 2 })) as number
  const q2rec = (await client.publish('c', 'three', { qos: 2 })) as number
  first.send({ type: 'pubrec', pid: q2rec })
  client.checkMsg()
  first.drop()
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONCLOSE' }))

  broker.autoConnack = { sessionPresent: true, returnCode: 0 }
  expect(await client.connect({ cleanSession: false })).toBe(true)
  const second = broker.last
  // In the order they were first sent: PUBLISH q1 (DUP), PUBLISH q2 (DUP), PUBREL q2rec.
  expect(second.received.slice(1)).toEqual([
    expect.objectContaining({ type: 'publish', topic: 'a', pid: q1, dup: true, qos: 1 }),
    expect.objectContaining({ type: 'publish', topic: 'b', pid: q2, dup: true, qos: 2 }),
    { type: 'pubrel', pid: q2rec },
  ])
  second.send({ type: 'puback', pid: q1 })
  second.send({ type: 'pubcomp', pid: q2rec })
  client.checkMsg()
  expect(statuses).toEqual([
    [q1, SDELIVERED],
    [q2rec, SDELIVERED],
  ])
  await client.disconnect()
})

test('without a session on the broker, every pending pid gets SLOST (4) at the next checkMsg, and stays reserved until then', async () => {
  const { client, broker, statuses } = recordingClient({ messageTimeoutMs: 0 })
  await client.connect({ cleanSession: false })
  const q1 = (await client.publish('a', 'one', { qos: 1 })) as number
  const q2 = (await client.publish('b', 'two', { qos: 2 })) as number
  const sub = await client.subscribe('c')
  broker.last.drop()
  expect(await client.connect({ cleanSession: false })).toBe(false)
  expect(broker.last.received.map((p) => p.type)).toEqual(['connect'])
  // Not yet reported: a new packet must not take one of their ids meanwhile.
  const next = (await client.publish('a', 'x', { qos: 1 })) as number
  expect([q1, q2, sub]).not.toContain(next)
  broker.last.send({ type: 'puback', pid: q1 }) // a late ack of the lost session
  client.checkMsg()
  expect(statuses).toEqual([
    [q1, SLOST],
    [q2, SLOST],
    [sub, SLOST],
    [q1, SUNKNOWNPID],
  ])
  await client.disconnect()
})

test('every pid a call resolved gets exactly one final status, across a lost session', async () => {
  const { client, broker, statuses } = recordingClient({ messageTimeoutMs: 0 })
  await client.connect({ cleanSession: false })
  const pids = [] as number[]
  for (let i = 0; i < 5; i++) pids.push((await client.publish('t', `${i}`, { qos: 1 })) as number)
  broker.last.send({ type: 'puback', pid: pids[0] as number })
  client.checkMsg()
  broker.last.drop()
  await client.connect({ cleanSession: false })
  client.checkMsg()
  const finals = new Map<number, number[]>()
  for (const [pid, status] of statuses) finals.set(pid, [...(finals.get(pid) ?? []), status])
  expect([...finals]).toEqual(pids.map((pid, i) => [pid, [i === 0 ? SDELIVERED : SLOST]]))
  await client.disconnect()
})

test("inbound QoS 2 held across a resumed session: the broker's resend is not delivered twice", async () => {
  const { client, broker, messages } = recordingClient()
  await client.connect({ cleanSession: false })
  const msg = { type: 'publish', topic: 'in', payload: new Uint8Array([1]), qos: 2, pid: 11, retain: false, dup: false } as const
  broker.last.send(msg)
  client.checkMsg()
  broker.last.drop()
  broker.autoConnack = { sessionPresent: true, returnCode: 0 }
  await client.connect({ cleanSession: false })
  broker.last.send({ ...msg, dup: true })
  broker.last.send({ type: 'pubrel', pid: 11 })
  client.checkMsg()
  expect(messages).toHaveLength(1)
  expect(broker.last.sent('pubrec')).toEqual([{ type: 'pubrec', pid: 11 }])
  expect(broker.last.sent('pubcomp')).toEqual([{ type: 'pubcomp', pid: 11 }])
  await client.disconnect()
})

test('disconnect() sends DISCONNECT, closes the link, and is idempotent', async () => {
  const { client, broker } = recordingClient()
  await client.connect()
  await client.disconnect()
  await client.disconnect()
  expect(broker.last.received.map((p) => p.type)).toEqual(['connect', 'disconnect'])
  expect(broker.last.closed).toBe(true)
  expect(client.isConnected).toBe(false)
})

test('a resumed session resends a copy with DUP set, never the bytes an earlier link may still be sending', async () => {
  const { client, broker } = recordingClient()
  broker.autoConnack = { sessionPresent: true, returnCode: 0 }
  await client.connect({ cleanSession: false })
  const first = broker.last
  const handed: Uint8Array[] = []
  const write = first.link.write
  first.link.write = (bytes) => (handed.push(bytes), write(bytes))
  // Over 8 KiB: the packet is not cut from the codec's shared block, so the one kept is the one handed over.
  await client.publish('t', new Uint8Array(10_000), { qos: 1 })
  await client.connect({ cleanSession: false })
  expect(handed[0]?.[0]).toBe(0x32) // as first sent: QoS 1, no DUP
  expect(broker.last.sent('publish').map((p) => p.dup)).toEqual([true])
  await client.disconnect()
})

test('only a session asked for and not found teaches the session that nodes keep one each: clean connects do not', () => {
  const session = new Session()
  const pubrel = (): Uint8Array => new Uint8Array(4)
  session.resume(false, pubrel, Infinity, 'node-a:1883', true)
  session.resume(false, pubrel, Infinity, 'node-b:1883', true) // a clean connect elsewhere: no session, as asked
  session.held.add(5)
  session.resume(true, pubrel, Infinity, 'node-a:1883', false)
  // Nodes sharing the session keep the inbound QoS 2 id held: the PUBLISH sent again is not delivered twice.
  expect([...session.held]).toEqual([5])
  session.resume(false, pubrel, Infinity, 'node-b:1883', false) // asked, not found: a session each
  session.held.add(7)
  session.resume(true, pubrel, Infinity, 'node-a:1883', false)
  expect([...session.held]).toEqual([])
})
