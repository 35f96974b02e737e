/**
 * `server` as a list, against real brokers (two aedes in this process, no shared state, so a
 * move is a move to a broker with no session): tried in order, the next one at once on a failed
 * attempt and after an outage, the backoff per round of the list, `'connect'` naming the server,
 * and subscriptions, queue and in-flight messages carried over. The bridged-mosquitto cluster is
 * in cluster-bridge.test.ts.
 */
import net from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { startEmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { startCounter } from './support/counter.js'
import { uid } from './support/test-clients.js'
import { waitFor } from './support/wait.js'

const cleanup: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

/** A port where a server accepts and at once closes every connection, counting them. */
async function slammer(): Promise<{ url: string; connections: () => number; firstAt: () => number }> {
  let count = 0
  let firstAt = 0
  const server = net.createServer((socket) => {
    if (!count++) firstAt = Date.now()
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise((resolve) => server.close(resolve)))
  return { url: `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`, connections: () => count, firstAt: () => firstAt }
}

function robust(servers: string[], options: Partial<ConstructorParameters<typeof RobustClient>[0]> = {}) {
  const client = new RobustClient({
    clientId: uid('listed'),
    server: servers,
    reconnect: { minDelayMs: 300, maxDelayMs: 300, jitter: false },
    ...options,
  })
  const connects: string[] = []
  const reconnecting: number[] = []
  client.on('connect', (_session, server) => connects.push(server))
  client.on('reconnecting', ({ attempt }) => reconnecting.push(attempt))
  client.on('error', () => {})
  cleanup.push(() => client.close())
  return { client, connects, reconnecting }
}

test('the first server down: the second is tried at once, in the same attempt, and named by connect', async () => {
  const dead = await slammer()
  const b = await startEmbeddedBroker()
  cleanup.push(() => b.close())
  const { client, connects, reconnecting } = robust([dead.url, b.url])
  const started = Date.now()
  await client.connect()
  expect(Date.now() - started).toBeLessThan(300) // no backoff between the servers of one round
  expect(connects).toEqual([b.url])
  expect(client.server).toBe(b.url)
  expect(reconnecting).toEqual([])
  // One attempt (and the wrong-port probe, which asks a port that closed unanswered once more).
  expect(dead.connections()).toBeGreaterThanOrEqual(1)
  expect(dead.connections()).toBeLessThanOrEqual(2)
})

test('after an outage the client moves on to the next server, subscribes there, and delivers what waited', async () => {
  const a = await startEmbeddedBroker()
  const b = await startEmbeddedBroker()
  let aOpen = true
  cleanup.push(
    () => b.close(),
    () => (aOpen ? a.close() : Promise.resolve()),
  )
  const { client, connects } = robust([a.url, b.url])
  const topic = uid('moved')
  const heard: string[] = []
  client.on('message', (_t, payload) => heard.push(payload.toString()))
  await client.connect()
  await client.subscribe(`${topic}/in`, { qos: 1 })
  const counter = await startCounter(b.url, `${topic}/out`, 1, uid('counter'))
  cleanup.push(() => counter.stop())
  await a.close()
  aOpen = false
  // Published while the client is between brokers: queued, then sent to B.
  const sent = Array.from({ length: 20 }, (_, i) => client.publish(`${topic}/out`, `m${i}`, { qos: 1 }))
  await waitFor(() => connects.length === 2, 'the move to B', 5000)
  expect(connects).toEqual([a.url, b.url])
  await Promise.all(sent)
  const expected = Array.from({ length: 20 }, (_, i) => `m${i}`)
  await waitFor(() => counter.missing(expected).length === 0, 'the 20 messages at B', 5000)
  // The subscription was renewed on B, a broker that never had a session for this client.
  const other = new RobustClient({ clientId: uid('other'), server: b.url })
  cleanup.push(() => other.close())
  await other.connect()
  await other.publish(`${topic}/in`, 'hello on B', { qos: 1 })
  await waitFor(() => heard.includes('hello on B'), 'the message through the renewed subscription')
})

test('every server down: one round tries each once, and the backoff is per round, not per server', async () => {
  const [one, two] = [await slammer(), await slammer()]
  const { client, reconnecting } = robust([one.url, two.url])
  const connecting = client.connect().catch((error: unknown) => error)
  await waitFor(() => reconnecting.length >= 2, 'two retries', 5000)
  // Round 1 at 0 ms, round 2 after 300 ms, round 3 after 600 ms: each server once per round (twice
  // with the wrong-port probe, which asks a port that closed unanswered once more), never more.
  const rounds = reconnecting.length + 1
  // The second server is tried right after the first, not a backoff later.
  expect(Math.abs(two.firstAt() - one.firstAt())).toBeLessThan(150)
  for (const server of [one, two]) {
    expect(server.connections()).toBeGreaterThanOrEqual(rounds - 1)
    expect(server.connections()).toBeLessThanOrEqual(2 * rounds)
  }
  await client.close()
  expect(await connecting).toMatchObject({ code: 'ECLOSED' })
})

test('a list is checked whole before anything is sent: an empty one, or a bad URL anywhere in it, is EOPTION', () => {
  expect(() => new RobustClient({ clientId: 'c', server: [] })).toThrow(
    expect.objectContaining({ code: 'EOPTION', message: expect.stringContaining('empty') }),
  )
  expect(() => new RobustClient({ clientId: 'c', server: ['mqtt://127.0.0.1', 'http://nowhere'] })).toThrow(
    expect.objectContaining({ code: 'EOPTION', message: expect.stringContaining('http://nowhere') }),
  )
})

test('bad credentials on the first server are not retried elsewhere: connect() rejects at once', async () => {
  const guarded = await startEmbeddedBroker({ users: { alice: 'secret' } })
  const open = await startEmbeddedBroker()
  cleanup.push(
    () => guarded.close(),
    () => open.close(),
  )
  const { client, connects } = robust([guarded.url, open.url], { user: 'alice', password: 'wrong' })
  await expect(client.connect()).rejects.toMatchObject({ code: 'ECONCREDENTIALS' })
  expect(connects).toEqual([])
})
