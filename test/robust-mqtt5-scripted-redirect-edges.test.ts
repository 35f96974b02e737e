/**
 * Redirects (contract §6) where they can go wrong: brokers that name each other for ever must not
 * cause a tight reconnect loop (robust's promise: no broker behaviour can, options.ts), whether
 * they redirect in CONNACK or in a DISCONNECT right after it; a Server Reference written as a URL,
 * or as a list, is followed; and a client whose credentials are in its server URL still presents
 * them to the server it is sent to (mosquitto's password listener).
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { accept, broker5, nthEvent, referenceTo, robust5, script, type Broker5 } from './support/robust5-harness.js'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { inspect, now, sleep, waitFor, withDeadline } from './support/wait.js'

let mosquitto: Mosquitto
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(async () => {
  await mosquitto?.stop()
})

const BACKOFF = { minDelayMs: 200, maxDelayMs: 2000, jitter: false }
const total = (...brokers: Broker5[]): number => brokers.reduce((n, b) => n + b.connections.length, 0)

test('two brokers that answer CONNACK 0x9C naming each other: a bounded number of attempts, not a tight loop', async () => {
  const a = await broker5()
  const b = await broker5()
  script(a, accept({ reasonCode: 0x9c, properties: { serverReference: referenceTo(b.url) } }))
  script(b, accept({ reasonCode: 0x9c, properties: { serverReference: referenceTo(a.url) } }))
  const { client } = robust5({ server: a.url, reconnect: BACKOFF })
  const connecting = inspect(client.connect())
  await sleep(1500)
  expect(connecting().state).toBe('pending')
  // 200, 400, 800 ms of backoff between rounds: a handful of rounds, each a few redirects.
  expect(total(a, b)).toBeLessThanOrEqual(20)
})

test('two brokers that accept, then at once send DISCONNECT 0x9C naming each other: a bounded number of connections, not a tight loop', async () => {
  const a = await broker5()
  const b = await broker5()
  const bounce = (to: Broker5) => async (conn: Parameters<Parameters<typeof script>[1]>[0]) => {
    await accept()(conn)
    conn.send({ type: 'disconnect', reasonCode: 0x9c, properties: { serverReference: referenceTo(to.url) } })
  }
  script(a, bounce(b))
  script(b, bounce(a))
  const { client } = robust5({ server: a.url, reconnect: { ...BACKOFF, stableAfterMs: 10_000 } })
  await client.connect()
  const started = now()
  await sleep(1500)
  const count = total(a, b)
  // A tight loop makes hundreds in 1.5 s; a backoff of 200 ms growing, a handful.
  expect(count, `connections in ${Math.round(now() - started)} ms`).toBeLessThanOrEqual(20)
})

test('a broker that accepts, then at once sends DISCONNECT 0x9C naming itself: a bounded number of connections', async () => {
  const a = await broker5()
  script(a, async (conn) => {
    await accept()(conn)
    conn.send({ type: 'disconnect', reasonCode: 0x9c, properties: { serverReference: referenceTo(a.url) } })
  })
  const { client } = robust5({ server: a.url, reconnect: { ...BACKOFF, stableAfterMs: 10_000 } })
  await client.connect()
  await sleep(1500)
  expect(a.connections.length).toBeLessThanOrEqual(20)
})

test.each([
  ['a URL', (url: string) => url],
  ['a list, the first one taken', (url: string) => `${referenceTo(url)} 127.0.0.1:1`],
])('a Server Reference written as %s is followed', async (_form, write) => {
  const target = await broker5(accept())
  const scripted = await broker5(accept({ reasonCode: 0x9c, properties: { serverReference: write(target.url) } }))
  const { client, events } = robust5({ server: scripted.url, reconnect: { minDelayMs: 2000, maxDelayMs: 2000, jitter: false } })
  const started = now()
  await withDeadline(client.connect(), 5000, 'connect() through the redirect')
  expect(now() - started).toBeLessThan(300)
  expect((await nthEvent(events, 'connect')).args[1]).toBe(target.url)
  expect(target.connections.length).toBe(1)
})

// The control (credentials as options) shows the listener accepts alice at v5; the URL form must too.
test.each([
  ['as options (control)', false],
  ['in the server URL', true],
])('credentials %s are presented to the referenced server too (mosquitto, password listener)', async (_where, inUrl) => {
  const reference = referenceTo(mosquitto.urls.password)
  const scripted = await broker5(accept({ reasonCode: 0x9c, properties: { serverReference: reference } }))
  const server = inUrl ? scripted.url.replace('mqtt://', 'mqtt://alice:wonderland@') : scripted.url
  const { client, events } = robust5({
    clientId: uid('cred'),
    server,
    ...(inUrl ? {} : { user: 'alice', password: 'wonderland' }),
    reconnect: { minDelayMs: 300, maxDelayMs: 300, jitter: false },
  })
  const connecting = inspect(client.connect())
  await waitFor(() => connecting().state !== 'pending', 'connect() to settle', 5000)
  const outcome = connecting()
  expect(outcome.state === 'rejected' ? outcome.error : outcome.state).toBe('resolved')
  expect((await nthEvent(events, 'connect')).args[1]).toContain(reference)
})
