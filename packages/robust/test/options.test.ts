import pRetry from 'p-retry'
import { MqttClient, isMqttError } from '@x/simple'
import { describe, expect, test, vi } from 'vitest'
import { DEFAULT_QUEUE, DEFAULT_RECONNECT, RobustClient, retryOptionsOf, type RobustOptions } from '../src/index.js'
import { robustSettingsOf, simpleOptionsOf } from '../src/options.js'
import { ScriptedBroker } from './support/scripted-broker.js'
import { robust } from './support/harness.js'

const base = { clientId: 'dev-1', server: 'mqtt://broker.invalid' } as const

describe('defaults', () => {
  const s = robustSettingsOf(base)

  test('reconnect: minDelayMs 500, maxDelayMs 30000, factor 2, jitter true, stableAfterMs 10000', () => {
    expect(s.reconnect).toEqual({ minDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: true, stableAfterMs: 10_000 })
    expect(DEFAULT_RECONNECT).toEqual(s.reconnect)
  })

  test("queue: maxMessages 10000, maxBytes 16 MiB, keepQos0 true, overflow 'drop-oldest'", () => {
    expect(s.queue).toEqual({ maxMessages: 10_000, maxBytes: 16 * 1024 * 1024, keepQos0: true, overflow: 'drop-oldest' })
    expect(DEFAULT_QUEUE).toEqual(s.queue)
  })

  test("messageTimeoutMs 10000 (the ack timeout), cleanSession false, resubscribe true, maxInFlight 20 (mosquitto's default quota)", () => {
    expect({ ackTimeoutMs: s.ackTimeoutMs, cleanSession: s.cleanSession, resubscribe: s.resubscribe, maxInFlight: s.maxInFlight }).toEqual({
      ackTimeoutMs: 10_000,
      cleanSession: false,
      resubscribe: true,
      maxInFlight: 20,
    })
  })

  test('keepaliveSec 60 for the simple client', () => {
    expect(simpleOptionsOf(base).keepaliveSec).toBe(60)
  })

  test('cleanSession false reaches connect() of the simple client; true when asked', async () => {
    const { client, broker } = robust()
    await client.connect()
    const other = robust({ cleanSession: true })
    await other.client.connect()
    expect(broker.connects).toEqual([{ cleanSession: false }])
    expect(other.broker.connects).toEqual([{ cleanSession: true }])
  })

  test('a partial reconnect or queue option keeps the other defaults', () => {
    const t = robustSettingsOf({ ...base, reconnect: { minDelayMs: 5 }, queue: { overflow: 'reject' } })
    expect(t.reconnect).toEqual({ ...DEFAULT_RECONNECT, minDelayMs: 5 })
    expect(t.queue).toEqual({ ...DEFAULT_QUEUE, overflow: 'reject' })
    // The exported defaults are not changed by a client's options.
    expect(DEFAULT_RECONNECT.minDelayMs).toBe(500)
    expect(DEFAULT_QUEUE.overflow).toBe('drop-oldest')
  })
})

describe('retryOptionsOf', () => {
  test('maps the backoff onto p-retry: retries Infinity, minTimeout, maxTimeout, factor, randomize = jitter', () => {
    expect(retryOptionsOf({ minDelayMs: 7, maxDelayMs: 900, factor: 3, jitter: false })).toEqual({
      retries: Infinity,
      minTimeout: 7,
      maxTimeout: 900,
      factor: 3,
      randomize: false,
    })
    expect(retryOptionsOf({ minDelayMs: 1, maxDelayMs: 2, factor: 1.5, jitter: true })).toEqual({
      retries: Infinity,
      minTimeout: 1,
      maxTimeout: 2,
      factor: 1.5,
      randomize: true,
    })
  })

  /** The waits p-retry makes between `attempts` failing attempts, measured on broker timers. */
  async function waits(options: ReturnType<typeof retryOptionsOf>, attempts: number): Promise<number[]> {
    vi.useFakeTimers()
    const at: number[] = []
    const run = pRetry(() => {
      at.push(Date.now())
      if (at.length < attempts) throw new Error('not yet')
      return at.length
    }, options)
    for (let i = 0; i < attempts && at.length < attempts; i++) await vi.advanceTimersToNextTimerAsync()
    expect(await run).toBe(attempts)
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
    return at.slice(1).map((t, i) => t - (at[i] as number))
  }

  test('without jitter the waits grow by factor from minDelayMs up to maxDelayMs', async () => {
    expect(await waits(retryOptionsOf({ minDelayMs: 100, maxDelayMs: 1000, factor: 3, jitter: false }), 6)).toEqual([
      100, 300, 900, 1000, 1000,
    ])
  })

  test('with jitter each wait is multiplied by 1 + Math.random() (then capped)', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5)
    try {
      expect(await waits(retryOptionsOf({ minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: true }), 5)).toEqual([150, 300, 600, 1000])
    } finally {
      random.mockRestore()
    }
  })

  test('the defaults wait 500 ms, then 1 s, 2 s, 4 s … (×1 to ×2 with jitter), never above 30 s', async () => {
    const noJitter = await waits(retryOptionsOf({ ...DEFAULT_RECONNECT, jitter: false }), 11)
    expect(noJitter).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000])
    const jittered = await waits(retryOptionsOf(DEFAULT_RECONNECT), 8)
    jittered.forEach((wait, i) => {
      const plain = noJitter[i] as number
      expect(wait).toBeGreaterThanOrEqual(plain)
      expect(wait).toBeLessThanOrEqual(Math.min(2 * plain, 30_000))
    })
  })
})

describe('EOPTION on bad values', () => {
  /** The error `new RobustClient(options)` throws, or undefined. */
  function constructionError(options: Partial<RobustOptions>): unknown {
    try {
      new RobustClient({ ...base, ...options, createClient: new ScriptedBroker().createClient })
    } catch (error) {
      return error
    }
    return undefined
  }

  const bad: Array<[string, string, Partial<RobustOptions>]> = [
    ['reconnect.minDelayMs', '-1', { reconnect: { minDelayMs: -1 } }],
    ['reconnect.minDelayMs', 'NaN', { reconnect: { minDelayMs: Number.NaN } }],
    ['reconnect.minDelayMs', "'5' (a string)", { reconnect: { minDelayMs: '5' as unknown as number } }],
    ['reconnect.maxDelayMs', '50 below minDelayMs 100', { reconnect: { minDelayMs: 100, maxDelayMs: 50 } }],
    ['reconnect.factor', '0.5', { reconnect: { factor: 0.5 } }],
    ['reconnect.factor', 'NaN', { reconnect: { factor: Number.NaN } }],
    ['queue.maxMessages', '-1', { queue: { maxMessages: -1 } }],
    ['queue.maxBytes', 'NaN', { queue: { maxBytes: Number.NaN } }],
    ['queue.overflow', "'drop-all'", { queue: { overflow: 'drop-all' as unknown as 'reject' } }],
    ['maxInFlight', '0', { maxInFlight: 0 }],
    ['messageTimeoutMs', '-5', { messageTimeoutMs: -5 }],
  ]

  test.each(bad)('%s = %s', (name, _value, options) => {
    const error = constructionError(options)
    expect(isMqttError(error) && error.code).toBe('EOPTION')
    expect((error as Error).message).toContain(name)
  })

  // p-retry refuses a non-finite minTimeout or factor with a TypeError before its first attempt,
  // so such a client could never connect: the constructor must refuse them, as it refuses every
  // other bad backoff value.
  const infinite: Array<[string, string, Partial<RobustOptions>]> = [
    ['reconnect.minDelayMs', 'Infinity (maxDelayMs Infinity)', { reconnect: { minDelayMs: Infinity, maxDelayMs: Infinity } }],
    ['reconnect.factor', 'Infinity', { reconnect: { factor: Infinity } }],
  ]

  test.each(infinite)('%s = %s is refused by the constructor (p-retry would throw a TypeError at connect())', (name, _value, options) => {
    const error = constructionError(options)
    expect(isMqttError(error) && error.code).toBe('EOPTION')
    expect((error as Error).message).toContain(name)
  })

  test('maxDelayMs Infinity (no cap) is accepted', () => {
    expect(constructionError({ reconnect: { maxDelayMs: Infinity } })).toBeUndefined()
  })

  test('the constructor throws before making a simple client', () => {
    const createClient = vi.fn(new ScriptedBroker().createClient)
    expect(() => new RobustClient({ ...base, maxInFlight: -1, createClient })).toThrow(/maxInFlight/)
    expect(createClient).not.toHaveBeenCalled()
  })
})

describe('simpleOptionsOf', () => {
  test('keepaliveSec defaults to 60 and keeps a value given (0 included)', () => {
    expect(simpleOptionsOf({ ...base, keepaliveSec: 15 }).keepaliveSec).toBe(15)
    expect(simpleOptionsOf({ ...base, keepaliveSec: 0 }).keepaliveSec).toBe(0)
  })

  test('messageTimeoutMs is forced to 0: ack timeouts are robust’s job, the simple client never forgets a pid', () => {
    expect(simpleOptionsOf(base).messageTimeoutMs).toBe(0)
    expect(simpleOptionsOf({ ...base, messageTimeoutMs: 2500 }).messageTimeoutMs).toBe(0)
    expect(robustSettingsOf({ ...base, messageTimeoutMs: 2500 }).ackTimeoutMs).toBe(2500)
  })

  test('robust-only options are removed, the simple ones pass through unchanged', () => {
    const transport = vi.fn()
    const all: RobustOptions = {
      ...base,
      port: 1884,
      user: 'u',
      password: 'p',
      tls: { servername: 'broker.example' },
      socketTimeoutMs: 1234,
      maxPacketBytes: 4096,
      transport,
      keepaliveSec: 30,
      messageTimeoutMs: 700,
      cleanSession: true,
      resubscribe: false,
      maxInFlight: 3,
      reconnect: { minDelayMs: 1 },
      queue: { maxMessages: 1 },
      will: { topic: 'dev-1/status', payload: 'gone' },
      createClient: new ScriptedBroker().createClient,
    }
    expect(simpleOptionsOf(all)).toStrictEqual({
      ...base,
      port: 1884,
      user: 'u',
      password: 'p',
      tls: { servername: 'broker.example' },
      socketTimeoutMs: 1234,
      maxPacketBytes: 4096,
      transport,
      keepaliveSec: 30,
      messageTimeoutMs: 0,
    })
    expect(simpleOptionsOf(base)).toStrictEqual({ ...base, keepaliveSec: 60, messageTimeoutMs: 0 })
  })

  test('RobustClient hands exactly these options to createClient', () => {
    const { broker } = robust({ keepaliveSec: 9, messageTimeoutMs: 300, maxInFlight: 2 })
    expect(broker.options).toStrictEqual({ ...base, keepaliveSec: 9, messageTimeoutMs: 0 })
  })

  test('a real MqttClient accepts them (messageTimeoutMs 0 means no STIMEOUT)', () => {
    expect(() => new MqttClient(simpleOptionsOf({ ...base, queue: { maxBytes: 10 } }))).not.toThrow()
  })
})
