/** Packet ids: 1..65535, a new client starts at 1, they wrap, and ids in flight are skipped. */
import { expect, test } from 'vitest'
import { recordingClient } from '../support/recording-client.js'

test('ids count from 1, wrap from 65535 to 1, and skip ids still in flight', async () => {
  const { client, broker, statuses } = recordingClient({ messageTimeoutMs: 0 })
  await client.connect()
  const conn = broker.last
  // Ids 1 and 3 stay in flight; every other one is acknowledged as it goes.
  const first = await client.publish('t', 'x', { qos: 1 })
  const second = await client.publish('t', 'x', { qos: 1 })
  const third = await client.subscribe('s')
  expect([first, second, third]).toEqual([1, 2, 3])
  conn.send({ type: 'puback', pid: 2 })
  for (let pid = 4; pid <= 65_535; pid++) {
    expect(await client.publish('t', '', { qos: 1 })).toBe(pid)
    conn.send({ type: 'puback', pid })
    client.checkMsg()
  }
  // Wrapped: 1 is still in flight, so is 3; 2 is free again.
  expect(await client.publish('t', 'x', { qos: 2 })).toBe(2)
  expect(await client.unsubscribe('s')).toBe(4)
  expect(statuses).toHaveLength(65_535 - 3 + 1)
  expect(conn.sent('publish').at(-1)).toMatchObject({ pid: 2, qos: 2 })
  await client.disconnect()
}, 30_000)

test('with all 65,535 ids in flight the next one is ENOPID, and nothing is sent', async () => {
  const { client, broker } = recordingClient({ messageTimeoutMs: 0 })
  await client.connect()
  const conn = broker.last
  for (let pid = 1; pid <= 65_535; pid++) await client.publish('t', '', { qos: 1 })
  const sent = conn.writes.length
  await expect(client.publish('t', '', { qos: 1 })).rejects.toMatchObject({ code: 'ENOPID', errno: 67, operation: 'publish' })
  await expect(client.subscribe('x')).rejects.toMatchObject({ code: 'ENOPID', operation: 'subscribe' })
  expect(conn.writes.length).toBe(sent)
  // QoS 0 needs no id and still goes out; an ack frees an id.
  expect(await client.publish('t', 'q0')).toBeUndefined()
  conn.send({ type: 'puback', pid: 40_000 })
  client.checkMsg()
  expect(await client.publish('t', '', { qos: 1 })).toBe(40_000)
  await client.disconnect()
}, 30_000)
