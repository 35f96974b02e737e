/**
 * Contract §6: @x/robust's `maxInFlight` becomes the smaller of its own value and the broker's
 * Receive Maximum, re-read at every CONNACK (a failover to another node may change it). Counted
 * both on the wire (PUBLISHes the broker has not acknowledged) and in robust's own books
 * (`inFlight` / `queued`): messages beyond the window wait in robust's queue, where the queue
 * policy and message expiry apply, not inside the simple client.
 */
import { expect, test } from 'vitest'
import { accept, autoAnswer, broker5, nthEvent, publishesIn, robust5, type Conn5 } from '@x/test-support/robust5-harness.js'
import { inspect, sleep, waitFor } from '@x/test-support/wait.js'

/** PUBLISHes on this connection that the test has not acknowledged. */
const unacked = (conn: Conn5, acked: Set<number>): number => publishesIn(conn).filter((p) => !acked.has(p.pid as number)).length

/** Acknowledges the oldest unacknowledged PUBLISH of this connection. */
async function ackOne(conn: Conn5, acked: Set<number>): Promise<void> {
  const p = await conn.next('publish')
  acked.add(p.pid as number)
  conn.send({ type: 'puback', pid: p.pid as number })
}

test('Receive Maximum 2 with maxInFlight 20: 2 at most; after a reconnect whose CONNACK says 5, up to 5; with none, maxInFlight', async () => {
  const broker = await broker5(accept({ properties: { receiveMaximum: 2 } }), accept({ properties: { receiveMaximum: 5 } }), accept())
  const { client, events } = robust5({ server: broker.url, maxInFlight: 20, messageTimeoutMs: 0 })
  await client.connect()
  const all = Array.from({ length: 30 }, (_, i) => inspect(client.publish('flow/t', `m${i}`, { qos: 1 })))

  // Link 1: a window of 2.
  const first = await broker.connection(0)
  const acked1 = new Set<number>()
  await waitFor(() => publishesIn(first).length === 2, 'the first 2 PUBLISHes')
  await sleep(100)
  expect(unacked(first, acked1)).toBe(2)
  expect([client.inFlight, client.queued]).toEqual([2, 28])
  for (let i = 0; i < 4; i++) {
    await ackOne(first, acked1)
    await waitFor(() => publishesIn(first).length === 3 + i, `PUBLISH #${3 + i} after an acknowledgement`)
    await sleep(30)
    expect(unacked(first, acked1)).toBe(2)
    expect(client.inFlight).toBe(2)
  }
  await waitFor(() => all.filter((p) => p().state === 'resolved').length === 4, '4 delivered')

  // Link 2 (no session): the CONNACK says 5. The 2 unacknowledged go again as new, with 3 more.
  first.destroy()
  await nthEvent(events, 'connect', 2)
  const second = await broker.connection(1)
  const acked2 = new Set<number>()
  await waitFor(() => publishesIn(second).length === 5, '5 PUBLISHes on the second link')
  await sleep(100)
  expect(publishesIn(second).length).toBe(5)
  expect([client.inFlight, client.queued]).toEqual([5, 21])
  expect(publishesIn(second).map((p) => new TextDecoder().decode(p.payload))).toEqual(['m4', 'm5', 'm6', 'm7', 'm8'])
  for (let i = 0; i < 5; i++) await ackOne(second, acked2)
  await waitFor(() => publishesIn(second).length === 10, '5 more PUBLISHes')
  await sleep(100)
  expect(unacked(second, acked2)).toBe(5)
  expect(client.inFlight).toBe(5)

  // Link 3: a CONNACK without Receive Maximum (65,535): robust's own 20 again.
  second.destroy()
  await nthEvent(events, 'connect', 3)
  const third = await broker.connection(2)
  await waitFor(() => publishesIn(third).length === 20, '20 PUBLISHes on the third link')
  await sleep(100)
  expect(publishesIn(third).length).toBe(20)
  expect([client.inFlight, client.queued]).toEqual([20, 1])
  autoAnswer(third)
  await waitFor(() => all.every((p) => p().state === 'resolved'), 'all 30 delivered')
  expect(publishesIn(third).length).toBe(21)
})

test("a Receive Maximum above maxInFlight changes nothing: robust's own limit holds", async () => {
  const broker = await broker5(accept({ properties: { receiveMaximum: 50 } }))
  const { client } = robust5({ server: broker.url, maxInFlight: 3, messageTimeoutMs: 0 })
  await client.connect()
  const all = Array.from({ length: 6 }, (_, i) => inspect(client.publish('flow/t', `m${i}`, { qos: 2 })))
  const conn = await broker.connection(0)
  await waitFor(() => publishesIn(conn).length === 3, '3 PUBLISHes')
  await sleep(100)
  expect(publishesIn(conn).length).toBe(3)
  expect([client.inFlight, client.queued]).toEqual([3, 3])
  autoAnswer(conn)
  await waitFor(() => all.every((p) => p().state === 'resolved'), 'all 6 delivered')
})
