/**
 * Contract §6: a queued message whose `messageExpiryInterval` ran out while it waited is not sent:
 * it is dropped with a `'drop'` event (reason `'expired'`) and its publish() rejects with EEXPIRED
 * (113); a message sent after waiting carries the remaining interval [MQTT-3.3.2-6]. The outage
 * is a broker that reads CONNECT and holds its CONNACK: the client is offline until then.
 */
import { expect, test } from 'vitest'
import { accept, autoAnswer, broker5, holdConnack, nthEvent, publishesIn, robust5, script, text } from '@x/test-support/robust5-harness.js'
import { inspect, now, sleep, waitFor } from '@x/test-support/wait.js'

/** A client online, then offline (its link cut); the next CONNACK comes when `backAt()` says. */
async function outage(backAt: () => number) {
  const broker = await broker5()
  script(broker, accept(), async (conn) => {
    await holdConnack(backAt)(conn)
    autoAnswer(conn)
  })
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  ;(await broker.connection(0)).destroy()
  await nthEvent(events, 'disconnect')
  return { broker, client, events }
}

test('queued with messageExpiryInterval 2, the broker back after ~1.1 s: the PUBLISH carries 1; with 10, 9; without, none', async () => {
  let back = Infinity
  const { broker, client } = await outage(() => back)
  const publishedAt = now()
  back = publishedAt + 1100
  const two = inspect(client.publish('exp/two', 'a', { qos: 1, properties: { messageExpiryInterval: 2 } }))
  const ten = inspect(client.publish('exp/ten', 'b', { qos: 1, properties: { messageExpiryInterval: 10 } }))
  const none = inspect(client.publish('exp/none', 'c', { qos: 1 }))
  await sleep(200)
  expect([client.queued, two().state]).toEqual([3, 'pending'])
  const conn = await broker.connection(1, 5000)
  await waitFor(() => [two, ten, none].every((p) => p().state !== 'pending'), 'all three delivered after the outage', 5000)
  expect([two(), ten(), none()].map((p) => p.state)).toEqual(['resolved', 'resolved', 'resolved'])
  const sent = publishesIn(conn).map((p) => [p.topic, text(p.payload), p.properties?.messageExpiryInterval])
  expect(sent).toEqual([
    ['exp/two', 'a', 1],
    ['exp/ten', 'b', 9],
    ['exp/none', 'c', undefined],
  ])
})

test("queued with messageExpiryInterval 1, the broker back after 2 s: never sent, 'drop' with 'expired', publish() rejects with EEXPIRED (113)", async () => {
  let back = Infinity
  const { broker, client, events } = await outage(() => back)
  back = now() + 2000
  const expired = inspect(client.publish('exp/one', 'stale', { qos: 1, properties: { messageExpiryInterval: 1 } }))
  const fresh = inspect(client.publish('exp/ten', 'fresh', { qos: 1, properties: { messageExpiryInterval: 10 } }))
  const q0 = inspect(client.publish('exp/zero', 'stale too', { qos: 0, properties: { messageExpiryInterval: 1 } }))
  await waitFor(() => expired().state !== 'pending' && fresh().state !== 'pending', 'both publish() calls to settle', 6000)
  const outcome = expired()
  expect(outcome.state).toBe('rejected')
  expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'EEXPIRED', errno: 113 })
  expect(fresh().state).toBe('resolved')
  await waitFor(() => q0().state !== 'pending', 'the QoS 0 publish() to settle')
  expect(q0().state).toBe('rejected')
  const drops = events.filter((e) => e.name === 'drop').map((e) => [(e.args[0] as { topic: string }).topic, e.args[1]])
  expect(drops).toEqual([
    ['exp/one', 'expired'],
    ['exp/zero', 'expired'],
  ])
  const conn = await broker.connection(1)
  await sleep(100)
  expect(publishesIn(conn).map((p) => [p.topic, p.properties?.messageExpiryInterval])).toEqual([['exp/ten', 8]])
})

test('a message that never waited is sent with its messageExpiryInterval as given', async () => {
  const broker = await broker5(accept())
  const { client } = robust5({ server: broker.url })
  await client.connect()
  const done = inspect(client.publish('exp/now', 'x', { qos: 1, properties: { messageExpiryInterval: 5 } }))
  const conn = await broker.connection(0)
  const p = await conn.next('publish')
  expect(p.properties).toEqual({ messageExpiryInterval: 5 })
  conn.send({ type: 'puback', pid: p.pid as number })
  await waitFor(() => done().state === 'resolved', 'delivered')
})
