/**
 * Programs that close at any moment, and limits that must not refuse what can be sent: every
 * promise settles, no event fires after close(), no reconnect loop, and the queue bounds only
 * what waits.
 */
import { isMqttError, MqttError } from '@x/simple'
import { describe, expect, test, vi } from 'vitest'
import { linkError } from './support/scripted-broker.js'
import { waitFor, flush, inspect, now, withDeadline } from '@x/test-support/wait.js'
import { argsOf, names, robust } from './support/harness.js'

const codeOf = (error: unknown): string | undefined => (isMqttError(error) ? error.code : undefined)

/** What each promise came to by now: a code for a rejection, 'resolved', or 'pending'. */
const outcomes = (checks: Array<ReturnType<typeof inspect>>): string[] =>
  checks.map((c) => {
    const o = c()
    return o.state === 'rejected' ? (codeOf(o.error) ?? String(o.error)) : o.state
  })

describe('close() settles every promise the client returned', () => {
  test('whatever state each operation is in: queued, being sent, waiting for the socket, in flight, unacknowledged subscriptions', async () => {
    const { client, broker } = robust()
    await client.connect()
    const inFlight = inspect(client.publish('t', 'sent, unacknowledged', { qos: 2 }))
    await waitFor(() => client.inFlight === 1, 'one in flight')
    broker.holdWrites = true
    const handedOver = inspect(client.publish('t', 'fills the socket')) // QoS 0 taken by the full socket: delivered
    const waitingForSocket = inspect(client.publish('t', 'waits for the socket to drain'))
    const behind = inspect(client.publish('t', 'queued behind it', { qos: 1 }))
    const subscribing = inspect(client.subscribe('a/#', { qos: 1 }))
    const unsubscribing = inspect(client.unsubscribe('b/#'))
    await flush()
    await withDeadline(client.close(), 1000, 'close()')
    await flush()
    expect(outcomes([inFlight, handedOver, waitingForSocket, behind, subscribing, unsubscribing])).toEqual([
      'ECLOSED',
      'resolved',
      'ECLOSED',
      'ECLOSED',
      'ECLOSED',
      'ECLOSED',
    ])
    expect([client.queued, client.inFlight]).toEqual([0, 0])
  })

  test('the ones called in the same tick as close(), before the pump could file them', async () => {
    const { client } = robust()
    await client.connect()
    const calls = [
      inspect(client.publish('t', 'a', { qos: 1 })),
      inspect(client.publish('t', 'b')),
      inspect(client.subscribe('s')),
      inspect(client.unsubscribe('u')),
    ]
    const closing = client.close()
    const after = [inspect(client.publish('t', 'late')), inspect(client.subscribe('late'))]
    await withDeadline(closing, 1000, 'close()')
    await flush()
    // 'b' (QoS 0) may have been handed to the socket before close() ran: then it is delivered.
    expect(outcomes(calls).map((o) => (o === 'resolved' ? 'ECLOSED' : o))).toEqual(['ECLOSED', 'ECLOSED', 'ECLOSED', 'ECLOSED'])
    expect(outcomes(after)).toEqual(['ECLOSED', 'ECLOSED'])
  })

  test('close() from inside a listener: no event of any kind after it returns', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    let closed: Promise<void> | undefined
    client.on('message', (topic) => {
      if (topic === 'stop') closed = client.close()
    })
    broker.message('before', '1')
    broker.message('stop', '2')
    broker.message('after', '3', { qos: 1 })
    await waitFor(() => closed !== undefined, 'the close from the listener')
    await withDeadline(closed as Promise<void>, 1000, 'close()')
    broker.drop()
    await flush()
    expect(argsOf(events, 'message').map(([topic]) => topic)).toEqual(['before', 'stop'])
    expect(names(events)).toEqual(['connect', 'message', 'message'])
  })
})

describe('connect() can be cancelled at any moment', () => {
  test('close() while the first CONNACK is awaited rejects connect() with ECLOSED at once', async () => {
    const { client, broker } = robust()
    broker.script('hold')
    const connecting = inspect(client.connect())
    await waitFor(() => broker.connectPending, 'the CONNECT')
    const started = now()
    await withDeadline(client.close(), 1000, 'close()')
    await flush()
    expect(outcomes([connecting])).toEqual(['ECLOSED'])
    expect(now() - started).toBeLessThan(100)
  })

  test('connect({ signal }): aborting mid-handshake rejects with the reason at once; the client can connect again', async () => {
    const { client, broker } = robust()
    broker.script('hold')
    const controller = new AbortController()
    const connecting = client.connect({ signal: controller.signal }).then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await waitFor(() => broker.connectPending, 'the CONNECT')
    const reason = new MqttError('ECLOSED', 'the user gave up')
    controller.abort(reason)
    expect(await withDeadline(connecting, 200, 'the aborted connect()')).toBe(reason)
    expect(client.isConnected).toBe(false)
    expect(await withDeadline(client.connect(), 1000, 'a second connect()')).toBe(false)
    expect(client.isConnected).toBe(true)
  })

  test('connect({ signal }): aborting during the backoff of the first connect rejects with the reason at once', async () => {
    const { client, broker } = robust({ reconnect: { minDelayMs: 5000, jitter: false } })
    broker.defaultOutcome = { error: linkError('ECONNREFUSED') }
    const controller = new AbortController()
    const connecting = client.connect({ signal: controller.signal }).then(
      () => 'resolved',
      (e: unknown) => e,
    )
    await waitFor(() => broker.connects.length === 1, 'the first attempt')
    await flush()
    controller.abort(new Error('enough'))
    expect(await withDeadline(connecting, 200, 'the aborted connect()')).toMatchObject({ message: 'enough' })
    expect(broker.connects.length).toBe(1)
  })
})

describe('no reconnect loop, whatever the broker does', () => {
  test('a broker that drops every connection right after CONNACK: the backoff grows, it does not restart at once', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({
      reconnect: { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: false, stableAfterMs: 5000 },
    })
    await client.connect()
    // Every connection dies as soon as it is up: a duplicate client id, a broker that kicks the client.
    client.on('connect', () => queueMicrotask(() => broker.drop()))
    broker.drop()
    await vi.advanceTimersByTimeAsync(10_000)
    const connects = names(events).filter((n) => n === 'connect').length
    // Waits of 100, 200, 400, 800, 1000, 1000, … ms: about a dozen attempts in 10 s, not thousands.
    expect(connects).toBeGreaterThanOrEqual(8)
    expect(connects).toBeLessThanOrEqual(14)
    const delays = argsOf(events, 'reconnecting').map(([r]) => r.delayMs)
    expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 1000])
  })

  test('a connection that stayed up past stableAfterMs resets the backoff: the next outage starts at once', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({
      reconnect: { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: false, stableAfterMs: 5000 },
    })
    await client.connect()
    await vi.advanceTimersByTimeAsync(6000)
    broker.drop()
    await flush()
    expect(argsOf(events, 'reconnecting').map(([r]) => [r.attempt, r.delayMs])).toEqual([[1, 0]])
    expect(client.isConnected).toBe(true)
  })
})

describe('the queue bounds what waits, never what can be sent now', () => {
  test('maxMessages 0: every publish while online goes out (awaited one by one, or a burst at once)', async () => {
    const { client, broker } = robust({ queue: { maxMessages: 0 } })
    broker.autoAck = true
    await client.connect()
    for (let i = 0; i < 20; i++) await withDeadline(client.publish('t', `q1-${i}`, { qos: 1 }), 1000, `publish ${i}`)
    const burst = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => client.publish('t', `q0-${i}`)))
    expect(burst.filter((r) => r.status === 'rejected')).toEqual([])
    expect(broker.publishes).toHaveLength(40)
  })

  test('maxMessages 0 while offline: refused with an error naming the limit and what the queue held', async () => {
    const { client } = robust({ queue: { maxMessages: 0, overflow: 'reject' } })
    const error = await client.publish('t', 'x', { qos: 1 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'EQUEUEFULL' })
    expect((error as Error).message).toMatch(/cannot be sent now \(offline.*the queue held 0 messages and 0 bytes.*queue\.maxMessages 0/)
  })

  test('a payload over queue.maxBytes is published while online', async () => {
    const { client, broker } = robust({ queue: { maxBytes: 1000 } })
    broker.autoAck = true
    await client.connect()
    await withDeadline(client.publish('t', new Uint8Array(5000), { qos: 1 }), 1000, 'the big publish')
    expect(broker.publishes).toHaveLength(1)
  })

  test('…and refused while it must wait, saying that the message is the problem, not a full queue', async () => {
    const { client } = robust({ queue: { maxBytes: 1000, overflow: 'reject' } })
    const error = await client.publish('t', new Uint8Array(5000), { qos: 1 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'EQUEUEFULL' })
    expect((error as Error).message).toContain('it is 5001 bytes, more than queue.maxBytes 1000')
    expect((error as Error).message).not.toContain('full')
  })

  test('beyond maxInFlight, messages wait and the bounds apply again', async () => {
    const { client, broker, events } = robust({ maxInFlight: 2, queue: { maxMessages: 1, overflow: 'drop-oldest' } })
    await client.connect()
    const sent = [0, 1].map((i) => inspect(client.publish('t', `in flight ${i}`, { qos: 1 })))
    await waitFor(() => client.inFlight === 2, 'two in flight')
    const waiting = inspect(client.publish('t', 'waits', { qos: 1 }))
    const newer = inspect(client.publish('t', 'newer', { qos: 1 }))
    await flush()
    expect(outcomes([waiting, newer])).toEqual(['EDROPPED', 'pending'])
    expect(argsOf(events, 'drop').map(([m, reason]) => [m.topic, reason])).toEqual([['t', 'overflow']])
    for (const pid of broker.pending) broker.ack(pid)
    await waitFor(() => newer().state === 'resolved' || broker.pending.length > 0, 'the next one out')
    expect(outcomes(sent)).toEqual(['resolved', 'resolved'])
  })
})

describe('inbound oversize messages', () => {
  test("a PUBLISH over maxPacketBytes is a 'drop' with reason 'oversize', its topic and size; the link stays", async () => {
    const { client, broker, events } = robust({ maxPacketBytes: 100 })
    await client.connect()
    broker.message('big/one', 'x'.repeat(500), { qos: 1 })
    broker.message('small', 'ok')
    await waitFor(() => argsOf(events, 'message').length === 1, 'the small message')
    expect(argsOf(events, 'drop')).toEqual([
      [{ topic: 'big/one', payload: new Uint8Array(0), qos: 1, retain: false, size: 514 }, 'oversize'],
    ]) // 1 + 2 header bytes + 511
    expect(broker.wire.filter((w) => w.type === 'puback')).toHaveLength(1)
    expect(names(events).filter((n) => n === 'disconnect')).toEqual([])
  })
})

describe('renewing a great many subscriptions', () => {
  test('130,000 filters are subscribed again after a session was lost: no RangeError, all renewed, within the window', async () => {
    const { client, broker, events } = robust({ maxInFlight: 1000 })
    broker.autoAck = true
    await client.connect()
    const count = 130_000
    const subscribed = Array.from({ length: count }, (_, i) => client.subscribe(`t/${i}`))
    await withDeadline(Promise.all(subscribed), 30_000, `${count} subscriptions`)
    broker.drop()
    await waitFor(() => broker.connections === 2, 'the reconnect')
    await waitFor(() => broker.wire.filter((w) => w.type === 'subscribe' && w.link === 2).length === count, 'every renewal', 30_000)
    await waitFor(() => broker.pending.length === 0, 'every renewal acknowledged', 10_000)
    expect(names(events).filter((n) => n === 'error')).toEqual([])
  }, 60_000)
})
