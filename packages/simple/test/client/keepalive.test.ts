/**
 * Keepalive and dead-link detection on a fake clock: PINGREQ after keepalive seconds of sending
 * nothing [MQTT-3.1.2-23] or of receiving nothing; dead only when a PINGREQ gets no byte back
 * within socketTimeoutMs (judged after one more round of I/O, so a busy program does not kill a
 * healthy link); a wait without a deadline probes a silent link.
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
  // The deadline passes; one round of I/O runs first (an answer waiting in the socket would count).
  await vi.advanceTimersByTimeAsync(1)
  expect(client.isConnected).toBe(true)
  await vi.advanceTimersByTimeAsync(1)
  expect(client.isConnected).toBe(false)
  expect(conn.closed).toBe(true)
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'EKEEPALIVE', errno: 7 }))
  expect(vi.getTimerCount()).toBe(0)
})

test('an answer that arrives in the round of I/O after the deadline keeps the link (a busy program)', async () => {
  const { client, conn } = await online({ keepaliveSec: 10, socketTimeoutMs: 3000 })
  await vi.advanceTimersByTimeAsync(13_000) // PINGREQ at 10 s, its deadline now
  conn.send({ type: 'pingresp' }) // it was in the socket all along
  await vi.advanceTimersByTimeAsync(5)
  expect(client.isConnected).toBe(true)
  expect(client.checkMsg()).toBe(1)
  await client.disconnect()
})

test('a client that only publishes QoS 0 (nothing comes back) pings, and its healthy link lives for hours', async () => {
  const { client, conn, pings } = await online({ keepaliveSec: 10, socketTimeoutMs: 3000 })
  let answered = 0
  for (let second = 1; second <= 3600; second++) {
    await vi.advanceTimersByTimeAsync(1_000)
    await client.publish('telemetry', 'x')
    // The broker answers each PINGREQ, and says nothing else.
    const asked = pings()
    if (asked > answered) {
      conn.send({ type: 'pingresp' })
      answered = asked
      client.checkMsg()
    }
  }
  // One PINGREQ per 10 s of hearing nothing, though the client sent something every second.
  expect(pings()).toBeGreaterThanOrEqual(350)
  expect(pings()).toBeLessThanOrEqual(361)
  expect(client.isConnected).toBe(true)
  await client.disconnect()
})

test('the same client on a dead link: its PINGREQ goes unanswered, EKEEPALIVE within keepalive + socketTimeoutMs', async () => {
  const { client, conn } = await online({ keepaliveSec: 10, socketTimeoutMs: 3000 })
  let seconds = 0
  while (client.isConnected && seconds < 60) {
    await vi.advanceTimersByTimeAsync(1_000)
    seconds++
    await client.publish('telemetry', 'x').catch(() => {})
  }
  expect(seconds).toBe(14) // PINGREQ at 10 s, no answer by 13 s, judged just after
  expect(conn.closed).toBe(true)
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
  await vi.advanceTimersByTimeAsync(2001)
  expect(client.isConnected).toBe(false)
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'EKEEPALIVE' }))
})

test('waitMsg() called after the PINGREQ deadline already passed (the program was busy) still ends', async () => {
  const { client } = await online({ keepaliveSec: 10, socketTimeoutMs: 3000 })
  await vi.advanceTimersByTimeAsync(10_000) // PINGREQ sent
  vi.setSystemTime(Date.now() + 20_000) // busy: the clock moved on, no timer ran
  const waiting = client.waitMsg()
  const outcome = expect(waiting).rejects.toMatchObject({ code: 'EKEEPALIVE' })
  await vi.advanceTimersByTimeAsync(5)
  await outcome
  expect(vi.getTimerCount()).toBe(0)
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
  await vi.advanceTimersByTimeAsync(2001)
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
