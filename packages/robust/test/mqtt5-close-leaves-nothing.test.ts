/**
 * The lifecycle rule for what MQTT 5 adds to @x/robust: close() settles every promise at once and
 * leaves no timer behind, also a pause after a quota refusal (0x97) and a request() waiting for
 * its response, each with a deadline far beyond the test's.
 */
import { expect, test } from 'vitest'
import { accept, acceptAndAnswer, broker5, robust5 } from '@x/test-support/robust5-harness.js'
import { inspect, now, sleep, waitFor } from '@x/test-support/wait.js'

const timers = (): number => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length

test('close() during the backoff after PUBACK 0x97: publish() rejects with ECLOSED at once, no timer is left', async () => {
  const broker = await broker5(accept())
  const before = timers()
  const { client } = robust5({ server: broker.url, reconnect: { minDelayMs: 20_000, maxDelayMs: 20_000, jitter: false } })
  await client.connect()
  const conn = await broker.connection(0)
  const delivered = inspect(client.publish('q/t', 'x', { qos: 1 }))
  const later = inspect(client.publish('q/t', 'y', { qos: 1 }))
  const p = await conn.next('publish')
  conn.send({ type: 'puback', pid: p.pid as number, reasonCode: 0x97 })
  await sleep(100)
  expect(delivered().state).toBe('pending')
  const started = now()
  await client.close()
  await waitFor(() => delivered().state !== 'pending' && later().state !== 'pending', 'both publish() calls to settle', 1000)
  expect(now() - started).toBeLessThan(1000)
  for (const outcome of [delivered(), later()]) expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'ECLOSED' })
  await sleep(20)
  expect(timers()).toBeLessThanOrEqual(before)
})

test('close() with a request() waiting (timeoutMs 60 s): rejected with ECLOSED, no timer is left', async () => {
  const broker = await broker5(acceptAndAnswer())
  const before = timers()
  const { client } = robust5({ server: broker.url })
  await client.connect()
  const reply = inspect(client.request('svc/x', 'q', { timeoutMs: 60_000 }))
  const conn = await broker.connection(0)
  await waitFor(() => conn.log.some((p) => p.type === 'publish'), 'the request PUBLISH')
  await client.close()
  await waitFor(() => reply().state !== 'pending', 'request() to settle', 1000)
  const outcome = reply()
  expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'ECLOSED' })
  await sleep(20)
  expect(timers()).toBeLessThanOrEqual(before)
})

test('close() while offline with an expiring message queued: publish() rejects with ECLOSED, no expiry timer is left', async () => {
  const broker = await broker5(accept())
  const before = timers()
  const { client, events } = robust5({ server: broker.url, reconnect: { minDelayMs: 20_000, maxDelayMs: 20_000, jitter: false } })
  await client.connect()
  ;(await broker.connection(0)).destroy()
  await waitFor(() => events.some((e) => e.name === 'disconnect'), 'the disconnect')
  const queued = inspect(client.publish('q/t', 'x', { qos: 1, properties: { messageExpiryInterval: 3600 } }))
  await client.close()
  await waitFor(() => queued().state !== 'pending', 'publish() to settle', 1000)
  expect(queued().state === 'rejected' && (queued() as { error: unknown }).error).toMatchObject({ code: 'ECLOSED' })
  await sleep(20)
  expect(timers()).toBeLessThanOrEqual(before)
})
