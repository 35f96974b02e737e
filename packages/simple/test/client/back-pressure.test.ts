/**
 * Flow control both ways: publish() waits while the socket's buffer is full and fails a socket
 * that takes nothing for socketTimeoutMs (EWRITELEN); a flood the user does not read pauses the
 * socket instead of filling memory.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { recordingClient } from '../support/recording-client.js'

afterEach(() => {
  vi.useRealTimers()
})

async function online(options = {}) {
  const rec = recordingClient(options)
  await rec.client.connect()
  return { ...rec, conn: rec.broker.last }
}

test('a publish() that finds the socket full waits for it to drain before handing its packet over', async () => {
  const { client, conn } = await online()
  conn.full = true
  // This write fills the buffer: handed over, so it resolves; the next one must wait.
  await client.publish('t', 'first')
  let done = false
  const publishing = client.publish('t', 'second', { qos: 1 }).then((pid) => ((done = true), pid))
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(done).toBe(false)
  expect(conn.sent('publish').map((p) => new TextDecoder().decode(p.payload))).toEqual(['first']) // not handed over yet
  conn.drain()
  // Its packet id is taken only now, as it is written: no status can come before the caller has it.
  expect(await publishing).toBe(1)
  expect(conn.sent('publish').map((p) => p.pid)).toEqual([undefined, 1])
  await client.disconnect()
})

test('a socket that takes no bytes for socketTimeoutMs is EWRITELEN (3), reported once, and the link is closed', async () => {
  vi.useFakeTimers()
  const { client, conn } = await online({ socketTimeoutMs: 1000 })
  conn.full = true
  await client.publish('t', 'fills the buffer')
  const publishing = client.publish('t', 'x')
  const outcome = expect(publishing).rejects.toMatchObject({ code: 'EWRITELEN', errno: 3, operation: 'publish' })
  await vi.advanceTimersByTimeAsync(999)
  expect(client.isConnected).toBe(true)
  await vi.advanceTimersByTimeAsync(1)
  await outcome
  expect(conn.closed).toBe(true)
  expect(client.isConnected).toBe(false)
  // Reported by the publish: not again by the next call, which finds the client just offline.
  expect(() => client.checkMsg()).toThrow(
    expect.objectContaining({ code: 'ECONNOT', cause: expect.objectContaining({ code: 'EWRITELEN' }) }),
  )
})

test('a slow socket that keeps taking bytes is not a stall', async () => {
  vi.useFakeTimers()
  const { client, conn } = await online({ socketTimeoutMs: 1000 })
  conn.full = true
  await client.publish('t', new Uint8Array(10_000))
  let done = false
  const publishing = client.publish('t', 'next').then(() => (done = true))
  for (let i = 0; i < 5; i++) {
    conn.buffered -= 1000 // the network takes some of it within each socketTimeoutMs
    await vi.advanceTimersByTimeAsync(1000)
  }
  expect(client.isConnected).toBe(true)
  expect(done).toBe(false)
  conn.drain()
  await publishing
  expect(done).toBe(true)
  await client.disconnect()
})

test('a publish waiting for room when the link dies rejects with the failure; nothing of it is in flight', async () => {
  const { client, conn, statuses } = await online()
  conn.full = true
  await client.publish('t', 'fills the buffer')
  const publishing = client.publish('t', 'x', { qos: 1 })
  await new Promise((resolve) => setTimeout(resolve, 5))
  conn.drop()
  await expect(publishing).rejects.toMatchObject({ code: 'ECONCLOSE' })
  await expect(client.publish('t', 'y')).rejects.toMatchObject({ code: 'ECONNOT' })
  // Reconnect with the session: nothing to resend, no status for a packet that never went out.
  expect(statuses).toEqual([])
})

test('disconnect() ends a publish waiting for room at once, with ECONNOT', async () => {
  const { client, conn } = await online()
  conn.full = true
  await client.publish('t', 'fills the buffer')
  const publishing = client.publish('t', 'x')
  const outcome = expect(publishing).rejects.toMatchObject({ code: 'ECONNOT' })
  await client.disconnect()
  await outcome
})

test('1000 unread packets pause the socket; reading them resumes it; nothing is lost', async () => {
  const { client, conn, messages } = await online()
  for (let i = 0; i < 1000; i++) {
    conn.send({ type: 'publish', topic: 'flood', payload: new Uint8Array([i & 127]), qos: 0, retain: false, dup: false })
  }
  expect(conn.paused).toBe(true)
  expect(client.checkMsg()).toBe(1000)
  expect(conn.paused).toBe(false)
  expect(messages).toHaveLength(1000)
  expect(messages.every((m, i) => m.payload === String.fromCharCode(i & 127))).toBe(true)
  await client.disconnect()
})

test('a paused socket is not mistaken for a dead link: unread bytes prove it alive', async () => {
  vi.useFakeTimers()
  const { client, conn } = await online({ keepaliveSec: 10, socketTimeoutMs: 2000 })
  for (let i = 0; i < 1000; i++) conn.send({ type: 'pingresp' })
  expect(conn.paused).toBe(true)
  await vi.advanceTimersByTimeAsync(60_000)
  expect(client.isConnected).toBe(true)
  expect(client.checkMsg()).toBe(1000)
  await client.disconnect()
})

test('isWritable is false while the buffer is full and true again once it drains, with no publish in between', async () => {
  const { client, conn } = await online()
  conn.full = true
  await client.publish('t', 'fills the buffer')
  expect(client.isWritable).toBe(false)
  conn.drain()
  await new Promise((resolve) => setTimeout(resolve, 0))
  expect(client.isWritable).toBe(true)
  // And the next publish goes straight through.
  await client.publish('t', 'after the drain')
  expect(conn.sent('publish')).toHaveLength(2)
})

test('publishes waiting for room take turns: each drain lets through only what the socket takes, in the order they were made', async () => {
  const { client, conn } = await online()
  // A socket whose buffer is full again after every packet: one drain makes room for one.
  const write = conn.link.write
  conn.link.write = (bytes) => {
    write(bytes)
    conn.full = true
    return false
  }
  await client.publish('t', 'fills the buffer')
  const made = ['a', 'b', 'c'].map((text, i) => client.publish('t', text, { qos: i === 1 ? 1 : 0 }))
  const texts = () => conn.sent('publish').map((p) => new TextDecoder().decode(p.payload))
  for (const expected of [
    ['fills the buffer', 'a'],
    ['fills the buffer', 'a', 'b'],
    ['fills the buffer', 'a', 'b', 'c'],
  ]) {
    conn.drain()
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(texts()).toEqual(expected)
  }
  expect(await Promise.all(made)).toEqual([undefined, 1, undefined])
  expect(client.isWritable).toBe(false)
  await client.disconnect()
})

test('a new publish does not overtake those waiting: it waits behind them, even once the buffer has drained', async () => {
  const { client, conn } = await online()
  conn.full = true
  await client.publish('t', 'fills the buffer')
  const first = client.publish('t', 'first')
  conn.drain()
  const second = client.publish('t', 'second') // the buffer is empty, but 'first' has not gone yet
  await Promise.all([first, second])
  expect(conn.sent('publish').map((p) => new TextDecoder().decode(p.payload))).toEqual(['fills the buffer', 'first', 'second'])
  await client.disconnect()
})

test('every publish waiting for room ends with the link: the first with the failure, the rest ECONNOT', async () => {
  const { client, conn } = await online()
  conn.full = true
  await client.publish('t', 'fills the buffer')
  const waiting = Array.from({ length: 100 }, (_, i) => client.publish('t', `${i}`, { qos: 1 }))
  await new Promise((resolve) => setTimeout(resolve, 5))
  conn.drop()
  const outcomes = await Promise.allSettled(waiting)
  expect(outcomes.every((o) => o.status === 'rejected')).toBe(true)
  expect(outcomes.map((o) => (o as PromiseRejectedResult).reason.code)).toEqual(['ECONCLOSE', ...Array(99).fill('ECONNOT')])
  expect(conn.sent('publish')).toHaveLength(1)
})

test('a call waiting for room when the client disconnects and connects again is not sent on the new connection', async () => {
  const { client, broker } = recordingClient()
  await client.connect()
  const first = broker.last
  first.full = true
  await client.publish('t', 'fills')
  const waiting = client.publish('t', 'waited', { qos: 1 }).then(
    () => 'sent',
    (error: { code?: string }) => error.code,
  )
  // The old link ends slowly (its broker has yet to close its side): it drains only then.
  let finishEnd = (): void => {}
  first.link.end = () => new Promise<void>((resolve) => (finishEnd = () => (first.drain(), resolve())))
  const disconnecting = client.disconnect()
  await client.connect()
  finishEnd()
  expect(await waiting).toBe('ECONNOT')
  expect(broker.last.sent('publish')).toEqual([])
  await disconnecting
})
