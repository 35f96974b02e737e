/**
 * Where message expiry and the broker's Receive Maximum meet robust's other paths (contract §6):
 * a message that was in flight when the link died and goes again as new (no session) has waited
 * too, so it carries what is left of its interval or is dropped as expired; a message that waits
 * behind the Receive Maximum window while online is queued, and expires there like any other; and
 * a resumed session whose new CONNACK allows fewer than were in flight gets no more than that.
 */
import { expect, test } from 'vitest'
import {
  accept,
  autoAnswer,
  broker5,
  holdConnack,
  nthEvent,
  publishesIn,
  robust5,
  script,
  type Conn5,
} from '@x/test-support/robust5-harness.js'
import { inspect, now, sleep, waitFor } from '@x/test-support/wait.js'

/** A client online on link 1; link 2's CONNACK (no session) comes when `backAt()` says, then everything is answered. */
async function withOutage(backAt: () => number) {
  const broker = await broker5()
  script(broker, accept(), async (conn) => {
    await holdConnack(backAt)(conn)
    autoAnswer(conn)
  })
  const { client, events } = robust5({ server: broker.url, messageTimeoutMs: 0 })
  await client.connect()
  return { broker, client, events, first: await broker.connection(0) }
}

test('in flight when the link died, sent again as new after a 1.1 s outage: carries the seconds left (2 → 1)', async () => {
  let back = Infinity
  const { broker, client, events, first } = await withOutage(() => back)
  const delivered = inspect(client.publish('exp/flight', 'x', { qos: 1, properties: { messageExpiryInterval: 2 } }))
  const p = await first.next('publish')
  expect(p.properties?.messageExpiryInterval).toBe(2)
  back = now() + 1100
  first.destroy()
  await nthEvent(events, 'connect', 2, 5000)
  const second = await broker.connection(1)
  await waitFor(() => delivered().state !== 'pending', 'delivered on link 2')
  expect(publishesIn(second).map((x) => [x.topic, x.dup, x.properties?.messageExpiryInterval])).toEqual([['exp/flight', false, 1]])
})

test("in flight when the link died, the outage outlasts its interval: not sent again, 'drop' 'expired', EEXPIRED", async () => {
  let back = Infinity
  const { broker, client, events, first } = await withOutage(() => back)
  const expired = inspect(client.publish('exp/flight', 'stale', { qos: 1, properties: { messageExpiryInterval: 1 } }))
  await first.next('publish')
  back = now() + 2000
  first.destroy()
  await waitFor(() => expired().state !== 'pending', 'publish() to settle', 6000)
  const outcome = expired()
  expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'EEXPIRED', errno: 113 })
  expect(events.filter((e) => e.name === 'drop').map((e) => e.args[1])).toEqual(['expired'])
  await nthEvent(events, 'connect', 2, 5000)
  await sleep(100)
  expect(publishesIn(await broker.connection(1))).toEqual([])
})

test("waiting behind a Receive Maximum of 1 while online, past its interval: 'drop' 'expired', never sent", async () => {
  const broker = await broker5(accept({ properties: { receiveMaximum: 1 } }))
  const { client, events } = robust5({ server: broker.url, messageTimeoutMs: 0 })
  await client.connect()
  const conn = await broker.connection(0)
  const first = inspect(client.publish('exp/window', 'first', { qos: 1 }))
  const stale = inspect(client.publish('exp/window', 'stale', { qos: 1, properties: { messageExpiryInterval: 1 } }))
  const held = await conn.next('publish')
  await sleep(1500)
  conn.send({ type: 'puback', pid: held.pid as number })
  await waitFor(() => first().state !== 'pending' && stale().state !== 'pending', 'both publish() calls to settle', 3000)
  expect(first().state).toBe('resolved')
  const outcome = stale()
  expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'EEXPIRED' })
  expect(events.filter((e) => e.name === 'drop').map((e) => e.args[1])).toEqual(['expired'])
  await sleep(100)
  expect(publishesIn(conn).length).toBe(1)
})

/** The most PUBLISHes this connection ever had unacknowledged by the test, checked as the test acknowledges. */
async function drainCounting(conn: Conn5, total: number, limit: number): Promise<number> {
  let acked = 0
  let most = 0
  const deadline = now() + 5000
  while (acked < total && now() < deadline) {
    await sleep(30)
    const pending = conn.received.filter((p) => p.type === 'publish')
    most = Math.max(most, pending.length)
    const p = pending[0]
    if (!p || p.type !== 'publish') continue
    conn.received.splice(conn.received.indexOf(p), 1)
    conn.send({ type: 'puback', pid: p.pid as number })
    acked++
  }
  expect(acked, `acknowledged within the deadline (window ${limit})`).toBe(total)
  return most
}

test('a resumed session whose CONNACK allows 2 where 5 were in flight: never more than 2 unacknowledged on the new link', async () => {
  const broker = await broker5(
    accept({ properties: { receiveMaximum: 5 } }),
    accept({ sessionPresent: true, properties: { receiveMaximum: 2 } }),
  )
  const { client, events } = robust5({ server: broker.url, messageTimeoutMs: 0 })
  await client.connect()
  const all = Array.from({ length: 8 }, (_, i) => inspect(client.publish('win/t', `m${i}`, { qos: 1 })))
  const first = await broker.connection(0)
  await waitFor(() => publishesIn(first).length === 5, '5 in flight on link 1')
  first.destroy()
  await nthEvent(events, 'connect', 2, 5000)
  const second = await broker.connection(1)
  await sleep(100)
  expect(publishesIn(second).length).toBe(2)
  expect(client.inFlight).toBeLessThanOrEqual(5)
  const most = await drainCounting(second, 8, 2)
  expect(most).toBeLessThanOrEqual(2)
  await waitFor(() => all.every((p) => p().state === 'resolved'), 'all 8 delivered')
})

test('refused with 0x97 and sent again after a 1.2 s backoff: the second PUBLISH carries the seconds left (2 → 1)', async () => {
  const broker = await broker5(accept())
  const { client } = robust5({ server: broker.url, messageTimeoutMs: 0, reconnect: { minDelayMs: 1200, maxDelayMs: 1200, jitter: false } })
  await client.connect()
  const conn = await broker.connection(0)
  const delivered = inspect(client.publish('exp/quota', 'x', { qos: 1, properties: { messageExpiryInterval: 2 } }))
  const first = await conn.next('publish')
  expect(first.properties?.messageExpiryInterval).toBe(2)
  conn.send({ type: 'puback', pid: first.pid as number, reasonCode: 0x97 })
  const again = await conn.next('publish', 5000)
  expect(again.properties?.messageExpiryInterval).toBe(1)
  conn.send({ type: 'puback', pid: again.pid as number })
  await waitFor(() => delivered().state === 'resolved', 'delivered')
})
