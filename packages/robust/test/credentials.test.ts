/**
 * `user` and `password` as functions (contract §7, tokens that expire): called before every
 * connection attempt, each attempt's simple client made with the values they returned; a failure
 * is an attempt that failed (ENOCON, retryable) and is retried with the backoff.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { isMqttError, type ClientOptions, type MqttError } from '@x/simple'
import { inspect, waitFor, withDeadline } from '@x/test-support/wait.js'
import { RobustClient, type ReconnectInfo, type RobustOptions } from '../src/index.js'
import { linkError, ScriptedBroker } from './support/scripted-broker.js'

const open = new Set<RobustClient>()
afterEach(async () => {
  const clients = [...open]
  open.clear()
  await withDeadline(Promise.all(clients.map((c) => c.close())), 2000, 'close() of every client')
})

/** A RobustClient over a ScriptedBroker that records the options of every simple client it makes, and the 'reconnecting' events. */
function tokenClient(options: Partial<RobustOptions>) {
  const broker = new ScriptedBroker()
  const made: ClientOptions[] = []
  const client = new RobustClient({
    clientId: 'dev-1',
    server: 'mqtt://broker.invalid',
    reconnect: { minDelayMs: 10, maxDelayMs: 40, jitter: false, stableAfterMs: 0 },
    ...options,
    createClient: (o) => {
      made.push(o)
      return broker.createClient(o)
    },
  })
  open.add(client)
  const reconnecting: ReconnectInfo[] = []
  const errors: MqttError[] = []
  client.on('reconnecting', (info) => reconnecting.push(info))
  client.on('error', (error) => errors.push(error as MqttError))
  return { client, broker, made, reconnecting, errors }
}

const codeOf = (error: unknown): string | undefined => (isMqttError(error) ? error.code : undefined)

describe('user and password as functions', () => {
  test('the function is called once per attempt, and each attempt logs in with its fresh value (first connect, retries, reconnects)', async () => {
    let n = 0
    const password = vi.fn(async () => `token-${++n}`)
    const { client, broker, made } = tokenClient({ user: 'dev', password })
    expect(password).not.toHaveBeenCalled() // not at construction: a token is fetched for an attempt
    broker.script({ error: linkError('ECONNREFUSED') })
    await client.connect()
    expect(password).toHaveBeenCalledTimes(2)
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    expect(password).toHaveBeenCalledTimes(3)
    expect(broker.connects.length).toBe(3)
    // The first client is made by the constructor, before any attempt: it has no password and never connects.
    expect(made.map((o) => [o.user, o.password])).toEqual([
      [undefined, undefined],
      ['dev', 'token-1'],
      ['dev', 'token-2'],
      ['dev', 'token-3'],
    ])
  })

  test('plain values: one simple client for every attempt, as before', async () => {
    const { client, broker, made } = tokenClient({ user: 'dev', password: 'secret' })
    broker.script({ error: linkError('ECONNREFUSED') })
    await client.connect()
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    expect(broker.connects.length).toBe(3)
    expect(made.map((o) => [o.user, o.password])).toEqual([['dev', 'secret']])
  })

  test('a user function and a binary password: both values reach the client of the attempt', async () => {
    const bytes = new Uint8Array([1, 2, 3])
    const { client, made } = tokenClient({ user: () => 'device-7', password: () => bytes })
    await client.connect()
    expect([made[1]?.user, made[1]?.password]).toEqual(['device-7', bytes])
  })

  test('a rejection fails the attempt with ENOCON (retryable, the cause kept), is retried with the backoff, then succeeds', async () => {
    const calls: number[] = []
    const down = new Error('token service unavailable')
    const password = vi.fn(async () => {
      calls.push(performance.now())
      if (calls.length <= 2) throw down
      return 'fresh'
    })
    const { client, broker, made, reconnecting } = tokenClient({
      user: 'dev',
      password,
      reconnect: { minDelayMs: 60, maxDelayMs: 1000, factor: 2, jitter: false, stableAfterMs: 0 },
    })
    await client.connect()
    expect(password).toHaveBeenCalledTimes(3)
    // No client was made, no connection tried, for the attempts whose token failed.
    expect([broker.connects.length, made.length]).toEqual([1, 2])
    expect(made[1]?.password).toBe('fresh')
    const [first, second] = reconnecting.map((info) => info.error)
    expect([codeOf(first), first?.cause, first?.message]).toEqual([
      'ENOCON',
      down,
      'Cannot connect to mqtt://broker.invalid: the password function failed: token service unavailable',
    ])
    expect(codeOf(second)).toBe('ENOCON')
    // The backoff: 60 ms, then 120 ms (timers fire late under load, never early).
    const gaps = [(calls[1] as number) - (calls[0] as number), (calls[2] as number) - (calls[1] as number)]
    expect(gaps[0]).toBeGreaterThanOrEqual(55)
    expect(gaps[1]).toBeGreaterThanOrEqual(115)
  })

  test('after a lost link too: a function that throws is retried with the backoff, the next value is used', async () => {
    let n = 0
    const user = vi.fn(() => {
      if (++n === 2) throw new Error('no token yet')
      return `u-${n}`
    })
    const { client, broker, made, reconnecting, errors } = tokenClient({ user })
    await client.connect()
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    expect(reconnecting.map((info) => codeOf(info.error))).toEqual(['ECONCLOSE', 'ENOCON'])
    expect(reconnecting[1]?.error.message).toContain('the user function failed: no token yet')
    expect(made.slice(1).map((o) => o.user)).toEqual(['u-1', 'u-3'])
    expect(errors).toEqual([]) // retryable: no 'error' event
  })

  test('QoS 1 in flight across the reconnect: the fresh client carries the session (same packet id, DUP)', async () => {
    let n = 0
    const { client, broker } = tokenClient({ user: 'dev', password: async () => `token-${++n}` })
    await client.connect()
    const sent = inspect(client.publish('t', 'm', { qos: 1 }))
    await waitFor(() => client.inFlight === 1, 'in flight')
    broker.script({ sessionPresent: true })
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    await waitFor(() => broker.pending.length === 1 && broker.publishes.length === 2, 'the resend')
    expect(broker.publishes.map((p) => [p.pid, p.dup, p.link])).toEqual([
      [1, false, 1],
      [1, true, 2],
    ])
    broker.ack(1)
    await waitFor(() => sent().state === 'resolved', 'delivered')
  })

  test('every server of a list: the function is called for each attempt, on each server', async () => {
    let n = 0
    const { client, broker, made } = tokenClient({
      server: ['mqtt://a.invalid', 'mqtt://b.invalid'],
      user: 'dev',
      password: () => `token-${++n}`,
    })
    broker.script({ error: linkError('ECONNREFUSED') })
    await client.connect()
    expect(client.server).toBe('mqtt://b.invalid')
    expect(made.slice(1).map((o) => [o.server, o.password])).toEqual([
      ['mqtt://a.invalid', 'token-1'],
      ['mqtt://b.invalid', 'token-2'],
    ])
  })

  test('a value of the wrong type: EOPTION, no retry can fix it; connect() rejects at once, the value not shown', async () => {
    const password = vi.fn(() => ({ secret: 'hunter2' }) as unknown as string)
    const { client, broker } = tokenClient({ user: 'dev', password })
    const error = await client.connect().catch((e: unknown) => e)
    expect([codeOf(error), (error as Error).message]).toEqual([
      'EOPTION',
      'Invalid option password: the function returned an object, not a string or a Uint8Array',
    ])
    expect([password.mock.calls.length, broker.connects.length]).toEqual([1, 0])
  })

  test('a function that never settles fails its attempt after socketTimeoutMs (ENOCON) and is called again', async () => {
    let n = 0
    const password = vi.fn(() => (++n === 1 ? new Promise<string>(() => {}) : Promise.resolve('late-but-fine')))
    const { client, made, reconnecting } = tokenClient({ user: 'dev', password, socketTimeoutMs: 50 })
    await withDeadline(client.connect(), 3000, 'connect() after a hung token function')
    expect(reconnecting[0]?.error.message).toBe(
      'Cannot connect to mqtt://broker.invalid: the password function did not settle within 50 ms',
    )
    expect(codeOf(reconnecting[0]?.error)).toBe('ENOCON')
    expect(made[1]?.password).toBe('late-but-fine')
  })

  test('close() while the function is pending ends connect() at once with ECLOSED, and nothing is left behind', async () => {
    const { client, broker } = tokenClient({ user: 'dev', password: () => new Promise<string>(() => {}) })
    const connecting = inspect(client.connect())
    await new Promise((resolve) => setTimeout(resolve, 10))
    await withDeadline(client.close(), 1000, 'close()')
    await waitFor(() => connecting().state === 'rejected', 'connect() rejected')
    const outcome = connecting()
    expect(outcome.state === 'rejected' && codeOf(outcome.error)).toBe('ECLOSED')
    expect(broker.connects.length).toBe(0)
  })

  test("connect({ signal }): a deadline passing while the function is pending rejects with the signal's reason", async () => {
    const { client } = tokenClient({ user: 'dev', password: () => new Promise<string>(() => {}) })
    const error = await withDeadline(
      client.connect({ signal: AbortSignal.timeout(30) }).catch((e: unknown) => e),
      2000,
      'connect() with a deadline',
    )
    expect((error as Error).name).toBe('TimeoutError')
  })
})

describe('the options', () => {
  const base = { clientId: 'dev-1', server: 'mqtt://broker.invalid' }

  test('functions are accepted by the constructor (a real MqttClient is made for them)', () => {
    expect(() => open.add(new RobustClient({ ...base, user: () => 'u', password: async () => 'p' }))).not.toThrow()
    expect(() => open.add(new RobustClient({ ...base, user: 'u', password: () => new Uint8Array(1) }))).not.toThrow()
  })

  const bad: Array<[string, Partial<RobustOptions>, string]> = [
    ['user', { user: 42 as unknown as string }, 'Invalid option user: a number is not a string or a function returning one'],
    [
      'password',
      { user: 'u', password: { token: 'hunter2' } as unknown as string },
      'Invalid option password: an object is not a string, a Uint8Array or a function returning one',
    ],
    [
      'password',
      { user: 'u', password: ['hunter2'] as unknown as string },
      'Invalid option password: an array is not a string, a Uint8Array or a function returning one',
    ],
  ]

  test.each(bad)('%s of the wrong type: EOPTION, before any simple client is made; the value is not shown', (_name, options, message) => {
    const createClient = vi.fn(new ScriptedBroker().createClient)
    let error: unknown
    try {
      new RobustClient({ ...base, ...options, createClient })
    } catch (e) {
      error = e
    }
    expect([codeOf(error), (error as Error).message]).toEqual(['EOPTION', message])
    expect((error as Error).message).not.toContain('hunter2')
    expect(createClient).not.toHaveBeenCalled()
  })

  test('an error from the function never shows the function (its text may hold a secret)', async () => {
    const password = (): string => {
      const secret = 'hunter2'
      throw new Error(`refused ${secret.length}`)
    }
    const { client, reconnecting } = tokenClient({ user: 'dev', password })
    const connecting = inspect(client.connect())
    await waitFor(() => reconnecting.length >= 1, 'a retry')
    expect(reconnecting[0]?.error.message).toBe('Cannot connect to mqtt://broker.invalid: the password function failed: refused 7')
    expect(JSON.stringify(reconnecting[0]?.error, Object.getOwnPropertyNames(reconnecting[0]?.error))).not.toContain('hunter2')
    expect(connecting().state).toBe('pending')
  })
})
