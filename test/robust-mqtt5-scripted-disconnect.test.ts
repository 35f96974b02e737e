/**
 * Contract §6, "@x/robust on MQTT 5": a broker DISCONNECT with "session taken over" (0x8E) is not
 * fought: the client backs off as after a duplicate client id, even when the connection had
 * lasted long enough to count as stable (stableAfterMs 0 here: any other lost link is retried at
 * once, as the control test shows). "Server shutting down" (0x8B) moves to the next server of
 * the list. `'disconnect'` carries the broker's reason code and Reason String.
 */
import { expect, test } from 'vitest'
import { accept, broker5, nthEvent, robust5 } from './support/robust5-harness.js'
import { now } from './support/wait.js'

const BACKOFF = { minDelayMs: 500, maxDelayMs: 500, jitter: false, stableAfterMs: 0 }

test('control: a link cut by the network, with stableAfterMs 0, is retried at once', async () => {
  const broker = await broker5(accept())
  const { client } = robust5({ server: broker.url, reconnect: BACKOFF })
  await client.connect()
  ;(await broker.connection(0)).destroy()
  const cutAt = now()
  await broker.connection(1, 3000)
  expect(now() - cutAt).toBeLessThan(250)
})

test('DISCONNECT 0x8E session taken over: the next attempt comes only after a backoff; the error says why', async () => {
  const broker = await broker5(accept())
  const { client, events } = robust5({ server: broker.url, reconnect: BACKOFF })
  await client.connect()
  ;(await broker.connection(0)).send({ type: 'disconnect', reasonCode: 0x8e, properties: { reasonString: 'another dev-1 came' } })
  const saidAt = now()
  const disconnect = await nthEvent(events, 'disconnect')
  expect(disconnect.args[0]).toMatchObject({ code: 'ESESSIONTAKEN', errno: 109, reasonCode: 0x8e, reasonString: 'another dev-1 came' })
  await broker.connection(1, 5000)
  expect(now() - saidAt).toBeGreaterThanOrEqual(400)
  await nthEvent(events, 'connect', 2)
})

// Each takeover comes soon after CONNACK (stableAfterMs 60 s): the takeovers count in a row, as
// duplicate client ids do on 3.1.1, so two clients that share an id cannot ping-pong at a fixed rate.
test('DISCONNECT 0x8E twice in a row, soon after each CONNACK: the backoff grows, no tight loop', async () => {
  const broker = await broker5(accept())
  const { client } = robust5({ server: broker.url, reconnect: { ...BACKOFF, minDelayMs: 200, maxDelayMs: 5000, stableAfterMs: 60_000 } })
  await client.connect()
  ;(await broker.connection(0)).send({ type: 'disconnect', reasonCode: 0x8e })
  const first = now()
  const second = await broker.connection(1, 5000)
  const gap1 = now() - first
  await new Promise((resolve) => setTimeout(resolve, 50))
  second.send({ type: 'disconnect', reasonCode: 0x8e })
  const again = now()
  await broker.connection(2, 5000)
  const gap2 = now() - again
  expect(gap1).toBeGreaterThanOrEqual(150)
  expect(gap2).toBeGreaterThan(gap1 * 1.5)
})

test('DISCONNECT 0x8B server shutting down: the next server of the list; the error says why', async () => {
  const a = await broker5(accept())
  const b = await broker5(accept())
  const { client, events } = robust5({ server: [a.url, b.url], reconnect: BACKOFF })
  await client.connect()
  expect((await nthEvent(events, 'connect')).args[1]).toBe(a.url)
  ;(await a.connection(0)).send({ type: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'bye' } })
  const disconnect = await nthEvent(events, 'disconnect')
  expect(disconnect.args[0]).toMatchObject({ code: 'ESHUTDOWN', errno: 110, reasonCode: 0x8b, reasonString: 'bye' })
  const connect = await nthEvent(events, 'connect', 2)
  expect(connect.args[1]).toBe(b.url)
  expect([a.connections.length, b.connections.length]).toEqual([1, 1])
})
