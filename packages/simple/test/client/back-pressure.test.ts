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

test('publish() resolves only once a full socket buffer drains', async () => {
  const { client, conn } = await online()
  conn.full = true
  let done = false
  const publishing = client.publish('t', 'x').then(() => (done = true))
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(done).toBe(false)
  expect(conn.sent('publish')).toHaveLength(1) // handed over, waiting for room
  conn.drain()
  await publishing
  expect(done).toBe(true)
  await client.disconnect()
})

test('a socket that takes no bytes for socketTimeoutMs is EWRITELEN (3), and the link is closed', async () => {
  vi.useFakeTimers()
  const { client, conn } = await online({ socketTimeoutMs: 1000 })
  conn.full = true
  const publishing = client.publish('t', 'x')
  const outcome = expect(publishing).rejects.toMatchObject({ code: 'EWRITELEN', errno: 3, operation: 'publish' })
  await vi.advanceTimersByTimeAsync(1000) // first wait: no drain, but this is the baseline
  await vi.advanceTimersByTimeAsync(1000) // second wait: still nothing taken
  await outcome
  expect(conn.closed).toBe(true)
  expect(client.isConnected).toBe(false)
})

test('a slow socket that keeps taking bytes is not a stall', async () => {
  vi.useFakeTimers()
  const { client, conn } = await online({ socketTimeoutMs: 1000 })
  conn.full = true
  let done = false
  const publishing = client.publish('t', new Uint8Array(10_000)).then(() => (done = true))
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

test('a QoS 1 publish whose link dies while draining still gets its pid; the failure comes next call', async () => {
  const { client, conn } = await online()
  conn.full = true
  const publishing = client.publish('t', 'x', { qos: 1 })
  await new Promise((resolve) => setTimeout(resolve, 5))
  conn.drop()
  expect(await publishing).toBe(1)
  await expect(client.publish('t', 'y')).rejects.toMatchObject({ code: 'ECONCLOSE' })
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
