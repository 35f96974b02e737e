/**
 * Contract §6: `request(topic, payload, { qos, timeoutMs, properties })` publishes with a Response
 * Topic the client subscribed for itself and a fresh Correlation Data, resolves the first message
 * that comes back with that Correlation Data (`{ topic, payload, properties }`) or rejects with
 * ETIMEOUT (112) after `timeoutMs`; works across reconnects; `close()` rejects what still waits
 * (ECLOSED). `respond(info, payload)` answers a request a `'message'` listener got.
 */
import { expect, test } from 'vitest'
import type { PublishPacketV5 } from '@x/simple/codec'
import { acceptAndAnswer, broker5, nthEvent, robust5, text, type Conn5 } from '@x/test-support/robust5-harness.js'
import { inspect, now, waitFor } from '@x/test-support/wait.js'

/** The next PUBLISH of a request on this connection (the harness answers it), from the log. */
async function requestIn(conn: Conn5, topic: string, n = 1): Promise<PublishPacketV5> {
  const requests = (): PublishPacketV5[] => conn.log.filter((p): p is PublishPacketV5 => p.type === 'publish' && p.topic === topic)
  await waitFor(() => requests().length >= n, `request PUBLISH #${n} to ${topic}`)
  return requests()[n - 1] as PublishPacketV5
}

/** A PUBLISH from the broker to the client. */
function deliver(conn: Conn5, topic: string, payload: string, properties: PublishPacketV5['properties'] = {}): void {
  conn.send({ type: 'publish', topic, payload: new TextEncoder().encode(payload), qos: 0, retain: false, dup: false, properties })
}

test('no responder: request() with timeoutMs 200 rejects with ETIMEOUT (112) after about 200 ms; the PUBLISH carried a Response Topic the client subscribed to and Correlation Data', async () => {
  const broker = await broker5(acceptAndAnswer())
  const { client } = robust5({ server: broker.url })
  await client.connect()
  const started = now()
  const reply = inspect(client.request('svc/time', 'what time is it?', { timeoutMs: 200 }))
  const conn = await broker.connection(0)
  const req = await requestIn(conn, 'svc/time')
  expect(text(req.payload)).toBe('what time is it?')
  const responseTopic = req.properties?.responseTopic
  expect(typeof responseTopic).toBe('string')
  expect(req.properties?.correlationData).toBeInstanceOf(Uint8Array)
  expect(req.properties?.correlationData?.length).toBeGreaterThan(0)
  // The client subscribed to its response topic (a filter that matches it) before the request went out.
  const filters = conn.log.flatMap((p) => (p.type === 'subscribe' ? p.subscriptions.map((s) => s.filter) : []))
  expect(filters.some((f) => f === responseTopic || (f.endsWith('/#') && (responseTopic as string).startsWith(f.slice(0, -1))))).toBe(true)
  expect(conn.log.findIndex((p) => p.type === 'subscribe')).toBeLessThan(conn.log.indexOf(req))
  await waitFor(() => reply().state !== 'pending', 'request() to settle', 3000)
  const took = now() - started
  const outcome = reply()
  expect(outcome.state).toBe('rejected')
  expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'ETIMEOUT', errno: 112 })
  expect(took).toBeGreaterThanOrEqual(180)
  expect(took).toBeLessThan(1500)
})

test('close() rejects the request()s still waiting with ECLOSED, at once', async () => {
  const broker = await broker5(acceptAndAnswer())
  const { client } = robust5({ server: broker.url })
  await client.connect()
  const one = inspect(client.request('svc/a', '1', { timeoutMs: 20_000 }))
  const two = inspect(client.request('svc/b', '2', { qos: 1, timeoutMs: 20_000 }))
  const conn = await broker.connection(0)
  await requestIn(conn, 'svc/a')
  await requestIn(conn, 'svc/b')
  const started = now()
  await client.close()
  await waitFor(() => one().state !== 'pending' && two().state !== 'pending', 'both request() calls to settle', 1000)
  expect(now() - started).toBeLessThan(1000)
  for (const outcome of [one(), two()]) {
    expect(outcome.state).toBe('rejected')
    expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'ECLOSED' })
  }
})

test('the reply with the same Correlation Data resolves { topic, payload, properties }; one with other Correlation Data does not', async () => {
  const broker = await broker5(acceptAndAnswer())
  const { client } = robust5({ server: broker.url })
  await client.connect()
  const reply = inspect(client.request('svc/echo', 'ping', { qos: 1, timeoutMs: 5000 }))
  const conn = await broker.connection(0)
  const req = await requestIn(conn, 'svc/echo')
  expect(req.qos).toBe(1)
  const { responseTopic, correlationData } = req.properties as { responseTopic: string; correlationData: Uint8Array }
  deliver(conn, responseTopic, 'not yours', { correlationData: Uint8Array.of(...correlationData, 0xff) })
  await new Promise((resolve) => setTimeout(resolve, 100))
  expect(reply().state).toBe('pending')
  deliver(conn, responseTopic, 'pong', { correlationData, contentType: 'text/plain' })
  await waitFor(() => reply().state !== 'pending', 'request() to settle')
  const outcome = reply()
  expect(outcome.state).toBe('resolved')
  const message =
    outcome.state === 'resolved'
      ? (outcome.value as { topic: string; payload: Uint8Array; properties: Record<string, unknown> })
      : undefined
  expect(message?.topic).toBe(responseTopic)
  expect(text(message?.payload ?? new Uint8Array())).toBe('pong')
  expect(message?.properties).toMatchObject({ contentType: 'text/plain' })
  expect(Array.from(message?.properties['correlationData'] as Uint8Array)).toEqual(Array.from(correlationData))
})

test('across a reconnect without session: the response topic is subscribed again and the reply still resolves the request', async () => {
  const broker = await broker5(acceptAndAnswer(), acceptAndAnswer())
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  const reply = inspect(client.request('svc/slow', 'work', { qos: 1, timeoutMs: 10_000 }))
  const first = await broker.connection(0)
  const req = await requestIn(first, 'svc/slow')
  const { responseTopic, correlationData } = req.properties as { responseTopic: string; correlationData: Uint8Array }
  first.destroy()
  await nthEvent(events, 'connect', 2)
  const second = await broker.connection(1)
  await waitFor(() => second.log.some((p) => p.type === 'subscribe'), 'the response topic subscribed again')
  deliver(second, responseTopic, 'done', { correlationData })
  await waitFor(() => reply().state !== 'pending', 'request() to settle')
  expect(reply().state).toBe('resolved')
})

test("respond(info, payload): publishes to the request's Response Topic with its Correlation Data, at the request's QoS", async () => {
  const broker = await broker5(acceptAndAnswer())
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  client.on('message', (_topic, _payload, info) => {
    void client.respond(info, 'pong').catch(() => {})
  })
  const conn = await broker.connection(0)
  conn.send({
    type: 'publish',
    topic: 'svc/ping',
    payload: new TextEncoder().encode('ping'),
    qos: 1,
    pid: 9,
    retain: false,
    dup: false,
    properties: { responseTopic: 'replies/caller-7', correlationData: Uint8Array.of(1, 2, 3) },
  })
  await nthEvent(events, 'message')
  const answer = await requestIn(conn, 'replies/caller-7')
  expect([answer.topic, text(answer.payload), answer.qos]).toEqual(['replies/caller-7', 'pong', 1])
  expect(Array.from(answer.properties?.correlationData ?? [])).toEqual([1, 2, 3])
})

test('a late answer to a request of the process before (same client id, the session kept) is dropped, not a message event, before any request of this one', async () => {
  const broker = await broker5(acceptAndAnswer({ sessionPresent: true }))
  const { client: first } = robust5({ server: broker.url, clientId: 'late-answers' })
  await first.connect()
  const asked = inspect(first.request('svc/time', 'what time is it?', { timeoutMs: 5000 }))
  const req = await requestIn(await broker.connection(0), 'svc/time')
  await first.close()
  expect(asked()).toMatchObject({ state: 'rejected' })

  const { client: second, events } = robust5({ server: broker.url, clientId: 'late-answers' })
  await second.connect()
  const conn = await broker.connection(1)
  const { responseTopic, correlationData } = req.properties ?? {}
  deliver(conn, responseTopic as string, 'noon', { correlationData: correlationData as Uint8Array })
  deliver(conn, 'ctl/after', 'marker')
  await waitFor(() => events.some((e) => e.name === 'message'), 'the marker message')
  expect(events.filter((e) => e.name === 'message').map((e) => e.args[0])).toEqual(['ctl/after'])
})
