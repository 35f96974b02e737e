import { MqttError, isMqttError } from '@x/simple'
import { describe, expect, test, vi } from 'vitest'
import { linkError, refusal } from './support/scripted-broker.js'
import { waitFor, flush, inspect, now, withDeadline } from '@x/test-support/wait.js'
import { argsOf, names, robust } from './support/harness.js'

const codeOf = (error: unknown): string | undefined => (isMqttError(error) ? error.code : undefined)
const timers = (): number => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length

describe('resending what was in flight', () => {
  test('session present: the same pids are awaited, the simple client resends (DUP, PUBREL), robust publishes nothing again', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    const one = inspect(client.publish('t', 'q1', { qos: 1 }))
    const two = inspect(client.publish('t', 'q2', { qos: 2 }))
    await waitFor(() => client.inFlight === 2, 'both in flight')
    broker.receive({ type: 'pubrec', pid: 2 })
    await waitFor(() => broker.wire.some((w) => w.type === 'pubrel'), 'PUBREL for pid 2')
    broker.script({ sessionPresent: true })
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    await flush()
    expect(broker.wire.filter((w) => w.link === 2)).toEqual([
      { type: 'publish', topic: 't', payload: 'q1', qos: 1, retain: false, dup: true, pid: 1, link: 2, resent: true },
      { type: 'pubrel', pid: 2, link: 2, resent: true },
    ])
    expect(broker.calls.length).toBe(2)
    expect([client.inFlight, client.queued, one().state, two().state]).toEqual([2, 0, 'pending', 'pending'])
    broker.ack(1)
    broker.ack(2)
    await waitFor(() => one().state === 'resolved' && two().state === 'resolved', 'both acknowledged on the resumed session')
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting', 'connect'])
    expect(argsOf(events, 'connect')).toEqual([
      [false, 'mqtt://broker.invalid'],
      [true, 'mqtt://broker.invalid'],
    ])
  })

  test('no session: in-flight messages are published again as new, in their order, before the queued ones', async () => {
    const { client, broker } = robust()
    await client.connect()
    const first = ['a', 'b', 'c'].map((m) => inspect(client.publish('t', m, { qos: 1 })))
    await waitFor(() => client.inFlight === 3, 'a, b, c in flight')
    broker.ack(2) // b is delivered; a and c are not
    await waitFor(() => first[1]?.().state === 'resolved', 'b acknowledged')
    broker.script('hold')
    broker.drop()
    await waitFor(() => broker.connectPending, 'the reconnect attempt')
    const later = ['d', 'e'].map((m) => inspect(client.publish('t', m, { qos: 2 })))
    await flush()
    expect([client.inFlight, client.queued]).toEqual([2, 2])
    broker.autoAck = true
    broker.answerConnect({ sessionPresent: false })
    await waitFor(() => [...first, ...later].every((p) => p().state === 'resolved'), 'everything delivered')
    expect(
      broker.wire
        .filter((w) => w.link === 2 && w.type === 'publish')
        .map((w) => (w.type === 'publish' ? [w.payload, w.qos, w.dup, w.resent] : [])),
    ).toEqual([
      ['a', 1, false, false],
      ['c', 1, false, false],
      ['d', 2, false, false],
      ['e', 2, false, false],
    ])
  })

  test('no session after several outages in a row: nothing is lost, nothing is sent out of order', async () => {
    const { client, broker } = robust()
    await client.connect()
    const all = [0, 1, 2, 3, 4, 5].map((i) => inspect(client.publish('t', `m${i}`, { qos: 1 })))
    for (let outage = 0; outage < 3; outage++) {
      await waitFor(() => client.inFlight + client.queued === 6, 'all six waiting')
      broker.drop()
      await waitFor(() => broker.connections === outage + 2 && client.isConnected, `reconnect ${outage + 1}`)
    }
    await waitFor(() => client.inFlight === 6, 'all six in flight again')
    for (const pid of broker.pending) broker.ack(pid)
    await waitFor(() => all.every((p) => p().state === 'resolved'), 'all six delivered')
    const last = broker.publishes.filter((p) => p.link === 4).map((p) => p.payload)
    expect(last).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5'])
  })
})

describe('events', () => {
  test("a lost link: 'disconnect', then 'reconnecting' per attempt ({ attempt, delayMs, error, server }), then 'connect'", async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ reconnect: { minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: false } })
    await client.connect()
    const lost = linkError('ECONCLOSE')
    const refused = linkError('ECONNREFUSED')
    const unavailable = refusal(3)
    broker.script({ error: refused }, { error: unavailable }, { sessionPresent: false })
    broker.drop(lost)
    await flush()
    expect(broker.connects.length).toBe(2)
    await vi.advanceTimersByTimeAsync(99)
    expect(broker.connects.length).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(broker.connects.length).toBe(3)
    await vi.advanceTimersByTimeAsync(199)
    expect(broker.connects.length).toBe(3)
    await vi.advanceTimersByTimeAsync(1)
    await flush()
    expect(broker.connects.length).toBe(4)
    expect(client.isConnected).toBe(true)
    expect(events).toEqual([
      { name: 'connect', args: [false, 'mqtt://broker.invalid'] },
      { name: 'disconnect', args: [lost] },
      { name: 'reconnecting', args: [{ attempt: 1, delayMs: 0, error: lost, server: 'mqtt://broker.invalid' }] },
      { name: 'reconnecting', args: [{ attempt: 2, delayMs: 100, error: refused, server: 'mqtt://broker.invalid' }] },
      {
        name: 'reconnecting',
        args: [{ attempt: 3, delayMs: 200, error: expect.objectContaining({ errno: unavailable.errno }), server: 'mqtt://broker.invalid' }],
      },
      { name: 'connect', args: [false, 'mqtt://broker.invalid'] },
    ])
  })

  test('after the link is back, a new outage starts again at attempt 1 with no delay', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ reconnect: { minDelayMs: 100, jitter: false } })
    await client.connect()
    broker.script({ error: linkError('ECONNREFUSED') })
    broker.drop()
    await flush()
    await vi.advanceTimersByTimeAsync(100)
    await flush()
    expect(client.isConnected).toBe(true)
    const second = linkError('EKEEPALIVE')
    broker.drop(second)
    await flush()
    expect(argsOf(events, 'reconnecting').map(([r]) => [r.attempt, r.delayMs])).toEqual([
      [1, 0],
      [2, 100],
      [1, 0],
    ])
    expect(argsOf(events, 'disconnect').at(-1)).toEqual([second])
    expect(client.isConnected).toBe(true)
  })

  test("'disconnect' carries the link failure even when a publish met it first (not the ECONNOT that follows)", async () => {
    const { client, broker, events } = robust()
    await client.connect()
    const lost = linkError('ECONCLOSE')
    broker.drop(lost)
    const p = client.publish('t', 'x')
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    await withDeadline(p, 1000, 'the publish, sent after the reconnect')
    expect(argsOf(events, 'disconnect')).toEqual([[lost]])
    expect(broker.publishes.map((w) => [w.payload, w.link])).toEqual([['x', 2]])
  })

  test("a reconnect refused for good (bad credentials) is reported as 'error' and retried: the broker may be fixed", async () => {
    const { client, broker, events } = robust()
    await client.connect()
    const denied = refusal(4)
    broker.script({ error: denied })
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect after the refusal')
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting', 'error', 'reconnecting', 'connect'])
    expect(argsOf(events, 'error')).toEqual([[expect.objectContaining({ errno: denied.errno, returnCode: 4 })]])
    expect(argsOf(events, 'reconnecting')[1]?.[0].error).toBe(argsOf(events, 'error')[0]?.[0])
  })
})

describe('the first connect()', () => {
  test('is retried with the backoff on errors a retry can fix, then resolves sessionPresent', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ reconnect: { minDelayMs: 10, maxDelayMs: 40, factor: 2, jitter: false } })
    const errors = [linkError('ECONNREFUSED'), refusal(3), linkError('ECONTIMEOUT'), linkError('ESOCKETTIMEOUT')]
    broker.script(...errors.map((error) => ({ error })), { sessionPresent: false })
    const connected = inspect(client.connect())
    await flush()
    for (const wait of [10, 20, 40, 40]) {
      expect(connected().state).toBe('pending')
      await vi.advanceTimersByTimeAsync(wait)
    }
    await flush()
    expect(connected()).toEqual({ state: 'resolved', value: false })
    expect(broker.connects.length).toBe(5)
    const reconnecting = argsOf(events, 'reconnecting').map(([r]) => r)
    expect(reconnecting.map((r) => [r.delayMs, (r.error as MqttError).errno])).toEqual([
      [10, errors[0]?.errno],
      [20, errors[1]?.errno],
      [40, errors[2]?.errno],
      [40, errors[3]?.errno],
    ])
    const first = reconnecting[0]?.attempt as number
    expect(reconnecting.map((r) => r.attempt)).toEqual([first, first + 1, first + 2, first + 3])
    expect(names(events).at(-1)).toBe('connect')
    expect(names(events).filter((n) => n === 'disconnect' || n === 'error')).toEqual([])
  })

  test("the first retry of connect() is 'reconnecting' attempt 1, as events.ts documents", async () => {
    const { client, broker, events } = robust()
    broker.script({ error: linkError('ECONNREFUSED') })
    await client.connect()
    expect(argsOf(events, 'reconnecting').map(([r]) => r.attempt)).toEqual([1])
  })

  const fatal: Array<[string, MqttError]> = [
    ['21 ECONPROTOCOL', refusal(1)],
    ['22 ECONREJECT', refusal(2)],
    ['24 ECONCREDENTIALS', refusal(4)],
    ['25 ECONAUTH', refusal(5)],
    ['ETLS', new MqttError('ETLS', 'TLS handshake failed')],
    ['ECERT', new MqttError('ECERT', 'certificate not trusted')],
  ]

  test.each(fatal)('rejects at once with %s, with no second attempt', async (_name, error) => {
    const { client, broker, events } = robust({ reconnect: { minDelayMs: 5, jitter: false } })
    broker.script({ error })
    const started = now()
    const outcome = await withDeadline(
      client.connect().then(
        () => undefined,
        (e: unknown) => e,
      ),
      1000,
      'connect()',
    )
    expect(outcome).toMatchObject({ code: error.code, errno: error.errno })
    expect(now() - started).toBeLessThan(100)
    await new Promise((resolve) => setTimeout(resolve, 30)) // several backoff delays
    expect(broker.connects.length).toBe(1)
    expect(events).toEqual([])
    expect(client.isConnected).toBe(false)
  })

  test('after a rejection it can be called again', async () => {
    const { client, broker } = robust()
    broker.script({ error: refusal(4) })
    await expect(client.connect()).rejects.toMatchObject({ errno: 24 })
    expect(await client.connect()).toBe(false)
    expect(broker.connects.length).toBe(2)
    expect(client.isConnected).toBe(true)
  })
})

describe('ack timeout (messageTimeoutMs)', () => {
  test('no ack within messageTimeoutMs while connected: the link is suspect, the client reconnects and sends again', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ messageTimeoutMs: 100 })
    await client.connect()
    const done = inspect(client.publish('t', 'lost ack', { qos: 1 }))
    await flush()
    expect(client.inFlight).toBe(1)
    await vi.advanceTimersByTimeAsync(100)
    expect(names(events)).toEqual(['connect'])
    await vi.advanceTimersByTimeAsync(60) // at the deadline, one round of I/O first, then the verdict
    await flush()
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting', 'connect'])
    const [suspect] = argsOf(events, 'disconnect')[0] ?? []
    expect([codeOf(suspect), suspect?.pid]).toEqual(['EACKTIMEOUT', 1])
    expect(broker.connects.length).toBe(2)
    expect(broker.publishes.map((p) => [p.payload, p.link, p.resent])).toEqual([
      ['lost ack', 1, false],
      ['lost ack', 2, false],
    ])
    broker.ack(broker.pending[0] as number)
    await flush()
    expect(done()).toEqual({ state: 'resolved', value: undefined })
  })

  test('acks that arrive in time never trigger a reconnect', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ messageTimeoutMs: 100 })
    await client.connect()
    for (let i = 0; i < 5; i++) {
      const done = inspect(client.publish('t', `m${i}`, { qos: 1 }))
      await flush()
      await vi.advanceTimersByTimeAsync(90)
      broker.ack(broker.pending[0] as number)
      await flush()
      expect(done().state).toBe('resolved')
    }
    await vi.advanceTimersByTimeAsync(1000)
    expect(names(events)).toEqual(['connect'])
  })

  test('with a session, the timed-out pid is resent by the simple client and awaited again', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ messageTimeoutMs: 100 })
    await client.connect()
    const done = inspect(client.publish('t', 'q2', { qos: 2 }))
    await flush()
    broker.script({ sessionPresent: true })
    await vi.advanceTimersByTimeAsync(105) // the deadline, the round of I/O, the reconnect
    await flush()
    expect(argsOf(events, 'connect')).toEqual([
      [false, 'mqtt://broker.invalid'],
      [true, 'mqtt://broker.invalid'],
    ])
    expect(broker.publishes.map((p) => [p.pid, p.dup, p.link, p.resent])).toEqual([
      [1, false, 1, false],
      [1, true, 2, true],
    ])
    // Awaited afresh: no second suspicion right after the resend.
    await vi.advanceTimersByTimeAsync(90)
    expect(argsOf(events, 'connect').length).toBe(2)
    broker.ack(1)
    await flush()
    expect(done().state).toBe('resolved')
  })
})

describe('close()', () => {
  test('during a backoff wait returns at once, rejects queued and in-flight publishes with ECLOSED, leaves no timer', async () => {
    const before = timers()
    const { client, broker, events } = robust({ reconnect: { minDelayMs: 5000, jitter: false } })
    await client.connect()
    const inFlight = client.publish('t', 'in flight', { qos: 1 })
    await waitFor(() => client.inFlight === 1, 'in flight')
    broker.defaultOutcome = { error: linkError('ECONNREFUSED') }
    broker.drop()
    await waitFor(() => broker.connects.length === 2 && argsOf(events, 'reconnecting').length === 1, 'the failed first reconnect')
    await flush()
    const queued = client.publish('t', 'queued', { qos: 2 })
    const queued0 = client.publish('t', 'queued qos 0')
    const sub = client.subscribe('s/#')
    const started = now()
    await withDeadline(client.close(), 1000, 'close()')
    expect(now() - started).toBeLessThan(200)
    const outcomes = await Promise.allSettled([inFlight, queued, queued0, sub])
    expect(outcomes.map((o) => (o.status === 'rejected' ? codeOf(o.reason) : o.status))).toEqual([
      'ECLOSED',
      'ECLOSED',
      'ECLOSED',
      'ECLOSED',
    ])
    expect([client.queued, client.inFlight, client.isConnected]).toEqual([0, 0, false])
    expect(timers(), 'timers left by this client').toBeLessThanOrEqual(before)
    expect(broker.connects.length).toBe(2)
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting'])
  })

  test('during a backoff wait, on broker timers: no timer left, no attempt after it', async () => {
    vi.useFakeTimers()
    const { client, broker, events } = robust({ reconnect: { minDelayMs: 5000, jitter: false } })
    await client.connect()
    broker.defaultOutcome = { error: linkError('ECONNREFUSED') }
    broker.drop()
    await flush()
    expect(broker.connects.length).toBe(2)
    expect(vi.getTimerCount()).toBe(1) // the backoff wait
    await client.close()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(broker.connects.length).toBe(2)
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting'])
  })

  test('during the backoff of the first connect(): connect() rejects with ECLOSED, at once', async () => {
    const before = timers()
    const { client, broker } = robust({ reconnect: { minDelayMs: 5000, jitter: false } })
    broker.defaultOutcome = { error: linkError('ECONNREFUSED') }
    const connecting = client.connect()
    await waitFor(() => broker.connects.length === 1, 'the first attempt')
    await flush()
    const started = now()
    await withDeadline(client.close(), 1000, 'close()')
    const error = await connecting.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(codeOf(error)).toBe('ECLOSED')
    expect(now() - started).toBeLessThan(200)
    expect(timers(), 'timers left by this client').toBeLessThanOrEqual(before)
    expect(broker.connects.length).toBe(1)
  })

  test("while a reconnect attempt is under way: it is abandoned without an 'error' event", async () => {
    const { client, broker, events } = robust()
    await client.connect()
    broker.script('hold')
    broker.drop()
    await waitFor(() => broker.connectPending, 'the reconnect attempt')
    await withDeadline(client.close(), 1000, 'close()')
    await flush()
    expect(argsOf(events, 'error').map(([e]) => [codeOf(e), (e as Error).message])).toEqual([])
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting'])
    expect(broker.connects.length).toBe(2)
  })

  test('while connected: disconnects the simple client, stops the loop, is idempotent', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    const waits = broker.waits
    await withDeadline(client.close(), 1000, 'close()')
    await withDeadline(client.close(), 1000, 'a second close()')
    expect(broker.disconnects).toBe(1)
    expect(broker.wire.at(-1)).toEqual({ type: 'disconnect', link: 1, resent: false })
    expect(client.isConnected).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(broker.waits).toBe(waits)
    expect(names(events)).toEqual(['connect'])
    expect(codeOf(await client.connect().catch((e: unknown) => e))).toBe('ECLOSED')
  })

  test('{ flushTimeoutMs } waits for the in-flight messages to be acknowledged, then closes', async () => {
    const before = timers()
    const { client, broker } = robust()
    await client.connect()
    const delivered = inspect(client.publish('t', 'last words', { qos: 1 }))
    await waitFor(() => client.inFlight === 1, 'in flight')
    const closing = inspect(client.close({ flushTimeoutMs: 2000 }))
    await flush()
    expect(closing().state).toBe('pending')
    broker.ack(1)
    await waitFor(() => closing().state !== 'pending', 'close() after the flush', 1000)
    expect([closing().state, delivered().state]).toEqual(['resolved', 'resolved'])
    expect(broker.disconnects).toBe(1)
    expect(timers(), 'timers left by this client').toBeLessThanOrEqual(before)
  })

  test('{ flushTimeoutMs } gives up after that long: what is left is rejected with ECLOSED', async () => {
    const before = timers()
    const { client } = robust()
    await client.connect()
    const delivered = client.publish('t', 'never acknowledged', { qos: 1 })
    await waitFor(() => client.inFlight === 1, 'in flight')
    const started = now()
    await withDeadline(client.close({ flushTimeoutMs: 60 }), 1000, 'close()')
    const took = now() - started
    expect(took).toBeGreaterThanOrEqual(50)
    expect(took).toBeLessThan(500)
    expect(
      codeOf(
        await delivered.then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    ).toBe('ECLOSED')
    expect(timers(), 'timers left by this client').toBeLessThanOrEqual(before)
  })
})
