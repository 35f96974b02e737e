/**
 * Keepalive and dead-link detection on a fake clock: PINGREQ after keepalive seconds of sending
 * nothing [MQTT-3.1.2-23]; dead when a PINGREQ gets no byte back within socketTimeoutMs, or when
 * nothing arrives for 1.5 × keepalive; a wait without a deadline probes a silent link.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { recordingClient } from '../support/recording-client.js'

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

async function online(options: { keepaliveSec?: number; socketTimeoutMs?: number }) {
  const rec = recordingClient(options)
  await rec.client.connect()
  return { ...rec, conn: rec.broker.last, pings: () => rec.broker.last.sent('pingreq').length }
}

test('a quiet link gets a PINGREQ every keepalive, and stays up while PINGRESP comes back', async () => {
  const { client, conn, pings } = await online({ keepaliveSec: 10, socketTimeoutMs: 3000 })
  await vi.advanceTimersByTimeAsync(9_999)
  expect(pings()).toBe(0)
  await vi.advanceTimersByTimeAsync(1)
  expect(pings()).toBe(1)
  for (let round = 2; round <= 5; round++) {
    conn.send({ type: 'pingresp' })
    client.checkMsg()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(pings()).toBe(round)
  }
  expect(client.isConnected).toBe(true)
  await client.disconnect()
  expect(vi.getTimerCount()).toBe(0)
})

test('sending resets the keepalive clock: a busy client does not ping', async () => {
  const { client, pings, conn } = await online({ keepaliveSec: 10 })
  for (let i = 0; i < 5; i++) {
    await vi.advanceTimersByTimeAsync(6_000)
    await client.publish('t', 'x')
    conn.send({ type: 'pingresp' }) // something arrives too, so the link is not silent
    client.checkMsg()
  }
  expect(pings()).toBe(0)
  await client.disconnect()
})

test('no answer to PINGREQ within socketTimeoutMs: EKEEPALIVE (7), the link closed', async () => {
  const { client, conn } = await online({ keepaliveSec: 10, socketTimeoutMs: 3000 })
  await vi.advanceTimersByTimeAsync(10_000 + 2_999)
  expect(client.isConnected).toBe(true)
  await vi.advanceTimersByTimeAsync(1)
  expect(client.isConnected).toBe(false)
  expect(conn.closed).toBe(true)
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'EKEEPALIVE', errno: 7 }))
  expect(vi.getTimerCount()).toBe(0)
})

test('nothing received for 1.5 × keepalive is dead, even while the client keeps sending', async () => {
  const { client, conn, pings } = await online({ keepaliveSec: 10, socketTimeoutMs: 60_000 })
  for (let t = 0; t < 14; t++) {
    await vi.advanceTimersByTimeAsync(1_000)
    await client.publish('t', 'x')
  }
  expect(pings()).toBe(0)
  expect(client.isConnected).toBe(true)
  await vi.advanceTimersByTimeAsync(1_000)
  expect(client.isConnected).toBe(false)
  expect(conn.closed).toBe(true)
  await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'EKEEPALIVE', message: expect.stringContaining('1.5') })
})

test('ping() by hand: an answer within socketTimeoutMs keeps the link, none kills it', async () => {
  const { client, conn } = await online({ socketTimeoutMs: 2000 })
  client.ping()
  await vi.advanceTimersByTimeAsync(1000)
  conn.send({ type: 'pingresp' })
  expect(client.checkMsg()).toBe(1)
  await vi.advanceTimersByTimeAsync(5000)
  expect(client.isConnected).toBe(true)
  client.ping()
  await vi.advanceTimersByTimeAsync(2000)
  expect(client.isConnected).toBe(false)
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'EKEEPALIVE' }))
})

test('keepalive 0 (the default): no PINGREQ, no timer, however long the link is quiet', async () => {
  const { client, pings } = await online({})
  expect(vi.getTimerCount()).toBe(0)
  await vi.advanceTimersByTimeAsync(24 * 3600 * 1000)
  expect(pings()).toBe(0)
  expect(client.isConnected).toBe(true)
  await client.disconnect()
})

test('waitMsg() without a deadline probes a silent link and ends with EKEEPALIVE when it is dead', async () => {
  const { client, conn, pings } = await online({ socketTimeoutMs: 2000 })
  const waiting = client.waitMsg()
  const outcome = expect(waiting).rejects.toMatchObject({ code: 'EKEEPALIVE' })
  await vi.advanceTimersByTimeAsync(2000)
  expect(pings()).toBe(1)
  await vi.advanceTimersByTimeAsync(2000)
  await outcome
  expect(conn.closed).toBe(true)
  expect(vi.getTimerCount()).toBe(0)
})

test('waitMsg() without a deadline on a live link: the probe is answered and the wait goes on', async () => {
  const { client, conn, pings, messages } = await online({ socketTimeoutMs: 2000 })
  const waiting = client.waitMsg()
  await vi.advanceTimersByTimeAsync(2000)
  expect(pings()).toBe(1)
  conn.send({ type: 'pingresp' })
  // PINGRESP is a packet: the wait ends with it processed, and the link is fine.
  expect(await waiting).toBe(1)
  expect(messages).toEqual([])
  expect(client.isConnected).toBe(true)
  await client.disconnect()
})
