import { isMqttError, type QoS } from '@x/simple'
import { describe, expect, test } from 'vitest'
import type { OverflowPolicy } from '../src/index.js'
import { type PublishWire } from './support/scripted-broker.js'
import { DeadlineError, waitFor, flush, inspect, withDeadline } from '@x/test-support/wait.js'
import { argsOf, names, robust } from './support/harness.js'

const text = new TextEncoder()
const codeOf = (error: unknown): string | undefined => (isMqttError(error) ? error.code : undefined)
const payloads = (wire: PublishWire[]): string[] => wire.map((p) => p.payload)

/** The error a promise rejects with (fails if it resolves, or stays pending past the deadline). */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await withDeadline(promise, 1000, what)
  } catch (error) {
    if (error instanceof DeadlineError) throw error
    return error
  }
  throw new Error(`${what} resolved instead of rejecting`)
}

describe('publish resolves on delivery', () => {
  test('QoS 0: once handed to the socket, with no ack; behind a full socket, once it drains', async () => {
    const { client, broker } = robust()
    await client.connect()
    broker.holdWrites = true
    // The socket takes this one (and reports its buffer full): handed over, so delivered for QoS 0.
    await withDeadline(client.publish('t/0', 'a'), 1000, 'the first QoS 0 publish')
    const done = inspect(client.publish('t/0', 'b'))
    await flush()
    expect(done()).toEqual({ state: 'pending' })
    expect(broker.heldWrites).toBe(1)
    broker.releaseWrites()
    await waitFor(() => done().state !== 'pending', 'the QoS 0 publish to settle')
    expect(done()).toEqual({ state: 'resolved', value: undefined })
    expect(broker.calls).toMatchObject([
      { type: 'publish', topic: 't/0', payload: 'a', qos: 0, pid: undefined },
      { type: 'publish', topic: 't/0', payload: 'b', qos: 0, pid: undefined },
    ])
    expect(client.inFlight).toBe(0)
  })

  test('QoS 1: on PUBACK, not on write', async () => {
    const { client, broker } = robust()
    await client.connect()
    const done = inspect(client.publish('t/1', 'b', { qos: 1 }))
    await waitFor(() => client.inFlight === 1, 'the QoS 1 message in flight')
    await flush()
    expect(done()).toEqual({ state: 'pending' })
    const pid = broker.calls[0]?.type === 'publish' ? broker.calls[0].pid : undefined
    expect(pid).toBe(1)
    broker.ack(1)
    await waitFor(() => done().state !== 'pending', 'the QoS 1 publish to settle')
    expect(done()).toEqual({ state: 'resolved', value: undefined })
    expect(client.inFlight).toBe(0)
  })

  test('QoS 2: on PUBCOMP, not on PUBREC', async () => {
    const { client, broker } = robust()
    await client.connect()
    const done = inspect(client.publish('t/2', 'c', { qos: 2, retain: true }))
    await waitFor(() => client.inFlight === 1, 'the QoS 2 message in flight')
    expect(broker.calls).toMatchObject([{ type: 'publish', qos: 2, retain: true, pid: 1 }])
    broker.receive({ type: 'pubrec', pid: 1 })
    await waitFor(() => broker.wire.some((w) => w.type === 'pubrel'), 'PUBREL answering PUBREC')
    await flush()
    expect(done()).toEqual({ state: 'pending' })
    expect(client.inFlight).toBe(1)
    broker.receive({ type: 'pubcomp', pid: 1 })
    await waitFor(() => done().state !== 'pending', 'the QoS 2 publish to settle')
    expect(done()).toEqual({ state: 'resolved', value: undefined })
    expect(client.inFlight).toBe(0)
  })

  test('an ack for a pid nobody waits for (SUNKNOWNPID) settles nothing', async () => {
    const { client, broker } = robust()
    await client.connect()
    const done = inspect(client.publish('t', 'x', { qos: 1 }))
    await waitFor(() => client.inFlight === 1, 'in flight')
    const waits = broker.waits
    broker.receive({ type: 'puback', pid: 77 }, { type: 'pubcomp', pid: 1 }) // wrong pid, wrong ack type
    await waitFor(() => broker.waits > waits, 'the loop to read them')
    await flush()
    expect(done()).toEqual({ state: 'pending' })
    expect(client.inFlight).toBe(1)
    broker.ack(1)
    await waitFor(() => done().state === 'resolved', 'the real PUBACK')
  })
})

describe('offline', () => {
  test('messages published before connect() wait in order and go out in order once connected', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    const qos: QoS[] = [1, 0, 2, 1, 0]
    const all = qos.map((q, i) => client.publish(`t/${i}`, `m${i}`, { qos: q }))
    await flush()
    expect([client.queued, client.inFlight, broker.wire.length]).toEqual([5, 0, 0])
    await client.connect()
    await withDeadline(Promise.all(all), 1000, 'every publish')
    expect(broker.calls.map((c) => (c.type === 'publish' ? [c.payload, c.qos, c.dup, c.link] : c.type))).toEqual(
      qos.map((q, i) => [`m${i}`, q, false, 1]),
    )
    expect([client.queued, client.inFlight]).toEqual([0, 0])
  })

  test('messages published during an outage wait and go out in order after the reconnect', async () => {
    const { client, broker, events } = robust()
    broker.autoAck = true
    await client.connect()
    await client.publish('t', 'before', { qos: 1 })
    broker.script('hold')
    broker.drop()
    await waitFor(() => broker.connectPending, 'the reconnect attempt')
    expect(client.isConnected).toBe(false)
    const during = [0, 1, 2, 3].map((i) => client.publish('t', `during-${i}`, { qos: (i % 3) as QoS }))
    await flush()
    expect(client.queued).toBe(4)
    expect(broker.publishes.length).toBe(1)
    broker.answerConnect({ sessionPresent: false })
    await withDeadline(Promise.all(during), 1000, 'the publishes made during the outage')
    expect(payloads(broker.publishes)).toEqual(['before', 'during-0', 'during-1', 'during-2', 'during-3'])
    expect(broker.publishes.slice(1).every((p) => p.link === 2)).toBe(true)
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting', 'connect'])
  })
})

describe('overflow while offline (maxMessages 2)', () => {
  const cases: Array<[OverflowPolicy, string, string[], string]> = [
    ['drop-oldest', 'a', ['b', 'c'], 'EDROPPED'],
    ['drop-newest', 'c', ['a', 'b'], 'EDROPPED'],
    ['reject', 'c', ['a', 'b'], 'EQUEUEFULL'],
  ]

  test.each(cases)("'%s' drops %s, sends %j, rejects with %s and emits 'drop'", async (overflow, lost, sent, code) => {
    const { client, broker, events } = robust({ queue: { maxMessages: 2, overflow } })
    broker.autoAck = true
    const p = Object.fromEntries(['a', 'b', 'c'].map((m) => [m, inspect(client.publish(`t/${m}`, m, { qos: 1 }))]))
    await flush()
    expect(client.queued).toBe(2)
    const outcome = p[lost]?.()
    expect(outcome?.state).toBe('rejected')
    expect(codeOf(outcome?.state === 'rejected' ? outcome.error : undefined)).toBe(code)
    expect(argsOf(events, 'drop')).toEqual([[{ topic: `t/${lost}`, payload: text.encode(lost), qos: 1, retain: false }, 'overflow']])
    for (const m of sent) expect(p[m]?.().state).toBe('pending')
    await client.connect()
    await waitFor(() => sent.every((m) => p[m]?.().state === 'resolved'), 'the kept messages to be delivered')
    expect(payloads(broker.publishes)).toEqual(sent)
    expect(argsOf(events, 'drop').length).toBe(1)
  })

  test('maxBytes counts topic and payload bytes', async () => {
    // 't/x' + 'aaaa' = 7 bytes; two fit in 15, a third does not.
    const { client, broker, events } = robust({ queue: { maxBytes: 15, overflow: 'reject' } })
    broker.autoAck = true
    const a = client.publish('t/x', 'aaaa')
    const b = client.publish('t/x', 'bbbb')
    const c = inspect(client.publish('t/x', 'cccc'))
    const d = client.publish('t/x', 'd') // 4 bytes, but 14 + 4 > 15: refused too
    await flush()
    expect(client.queued).toBe(2)
    expect(c().state).toBe('rejected')
    expect(codeOf(await rejection(d, 'd'))).toBe('EQUEUEFULL')
    expect(argsOf(events, 'drop').map(([m, reason]) => [new TextDecoder().decode(m.payload), reason])).toEqual([
      ['cccc', 'overflow'],
      ['d', 'overflow'],
    ])
    await client.connect()
    await withDeadline(Promise.all([a, b]), 1000, 'the two that fit')
    expect(payloads(broker.publishes)).toEqual(['aaaa', 'bbbb'])
  })

  for (const overflow of ['drop-oldest', 'drop-newest', 'reject'] as const) {
    test(`'${overflow}': a message bigger than maxBytes settles at once (rejected, 'drop' event), the queue keeps the others`, async () => {
      const { client, broker, events } = robust({ queue: { maxBytes: 16, overflow } })
      broker.autoAck = true
      const small = client.publish('t', 'small', { qos: 1 })
      const big = client.publish('t', 'x'.repeat(64), { qos: 1 })
      const error = await rejection(big, 'the publish of a message bigger than queue.maxBytes')
      expect(['EDROPPED', 'EQUEUEFULL']).toContain(codeOf(error))
      expect(argsOf(events, 'drop').map(([m, reason]) => [m.payload.length, reason])).toEqual([[64, 'overflow']])
      expect(client.queued).toBe(1)
      await client.connect()
      await withDeadline(small, 1000, 'the small message')
      expect(payloads(broker.publishes)).toEqual(['small'])
    })
  }
})

describe('keepQos0', () => {
  test("false: QoS 0 published while offline is dropped ('drop' reason 'offline', EDROPPED); QoS 1 waits; online QoS 0 is sent", async () => {
    const { client, broker, events } = robust({ queue: { keepQos0: false } })
    broker.autoAck = true
    const q0 = client.publish('t', 'zero')
    const q1 = client.publish('t', 'one', { qos: 1 })
    expect(codeOf(await rejection(q0, 'offline QoS 0'))).toBe('EDROPPED')
    expect(argsOf(events, 'drop')).toEqual([[{ topic: 't', payload: text.encode('zero'), qos: 0, retain: false }, 'offline']])
    expect(client.queued).toBe(1)
    await client.connect()
    await withDeadline(Promise.all([q1, client.publish('t', 'online zero')]), 1000, 'the QoS 1 and the online QoS 0')
    expect(payloads(broker.publishes)).toEqual(['one', 'online zero'])
  })

  test('true (default): QoS 0 published while offline is queued and sent', async () => {
    const { client, broker } = robust()
    const q0 = client.publish('t', 'zero')
    await flush()
    expect(client.queued).toBe(1)
    await client.connect()
    await withDeadline(q0, 1000, 'the QoS 0 message')
    expect(payloads(broker.publishes)).toEqual(['zero'])
  })
})

describe('bad arguments', () => {
  const bad: Array<[string, string, [string, unknown, { qos?: QoS }]]> = [
    ['a wildcard topic', 'ETOPIC', ['a/#', 'x', {}]],
    ['a + in the topic', 'ETOPIC', ['a/+/b', 'x', {}]],
    ['an empty topic', 'ETOPIC', ['', 'x', {}]],
    ['QoS 3', 'EQOS', ['a', 'x', { qos: 3 as QoS }]],
    ['a number payload', 'EPAYLOAD', ['a', 42, {}]],
  ]

  for (const online of [false, true]) {
    test.each(bad)(
      `${online ? 'online' : 'offline'}: %s rejects at once with %s, is neither queued nor sent`,
      async (_what, code, [topic, payload, opts]) => {
        const { client, broker, events } = robust()
        if (online) await client.connect()
        const done = inspect(client.publish(topic, payload as string, opts))
        await Promise.resolve()
        await Promise.resolve()
        const outcome = done()
        expect(outcome.state).toBe('rejected')
        expect(codeOf(outcome.state === 'rejected' ? outcome.error : undefined)).toBe(code)
        await flush()
        expect([client.queued, client.inFlight, broker.publishes.length]).toEqual([0, 0, 0])
        expect(names(events).filter((n) => n !== 'connect')).toEqual([])
      },
    )
  }

  test('after close(): rejects with ECLOSED', async () => {
    const { client, broker } = robust()
    await client.connect()
    await client.close()
    expect(codeOf(await rejection(client.publish('t', 'x', { qos: 1 }), 'publish after close'))).toBe('ECLOSED')
    expect(broker.publishes).toEqual([])
  })
})

test('a rejected publish nobody awaits is not an unhandled rejection', async () => {
  const unhandled: unknown[] = []
  const listener = (reason: unknown): void => {
    unhandled.push(reason)
  }
  process.on('unhandledRejection', listener)
  try {
    const rejecting = robust({ queue: { maxMessages: 1, overflow: 'reject' } }).client
    void rejecting.publish('a/#', 'bad topic')
    void rejecting.publish('t', 'kept until close')
    void rejecting.publish('t', 'refused: queue full')
    const dropping = robust({ queue: { maxMessages: 1, overflow: 'drop-oldest' } }).client
    void dropping.publish('t', 'dropped by the next one')
    void dropping.publish('t', 'kept until close')
    const strict = robust({ queue: { keepQos0: false } }).client
    void strict.publish('t', 'offline QoS 0')
    const online = robust()
    await online.client.connect()
    void online.client.publish('t', 'in flight until close', { qos: 1 })
    await waitFor(() => online.client.inFlight === 1, 'the message in flight')
    await Promise.all([rejecting.close(), dropping.close(), strict.close(), online.client.close()])
    void rejecting.publish('t', 'after close')
    await flush(10)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(unhandled).toEqual([])
  } finally {
    process.off('unhandledRejection', listener)
  }
})

describe('queued, inFlight and maxInFlight', () => {
  test('queued counts waiting messages, inFlight the QoS 1/2 ones sent and not acknowledged', async () => {
    const { client, broker } = robust()
    for (const q of [1, 2, 0, 1] as QoS[]) void client.publish('t', `q${q}`, { qos: q })
    expect([client.queued, client.inFlight]).toEqual([4, 0])
    await client.connect()
    await waitFor(() => broker.publishes.length === 4, 'all four sent')
    expect([client.queued, client.inFlight]).toEqual([0, 3])
    broker.ack(2)
    await waitFor(() => client.inFlight === 2, 'one acknowledged')
    expect(client.queued).toBe(0)
  })

  test('maxInFlight 2: never more than two unacknowledged; each ack lets the next one out, in order', async () => {
    const { client, broker } = robust({ maxInFlight: 2 })
    await client.connect()
    const all = [0, 1, 2, 3, 4].map((i) => client.publish('t', `m${i}`, { qos: 1 }))
    await waitFor(() => broker.publishes.length === 2, 'two sent')
    await flush()
    expect([broker.publishes.length, client.inFlight, client.queued]).toEqual([2, 2, 3])
    for (let acked = 1; acked <= 5; acked++) {
      broker.ack(broker.pending[0] as number)
      const sent = Math.min(5, acked + 2)
      await waitFor(() => broker.publishes.length === sent && client.inFlight === sent - acked, `${acked} acked, ${sent} sent`)
      await flush()
      expect(broker.pending.length).toBeLessThanOrEqual(2)
      expect([broker.publishes.length, client.inFlight, client.queued]).toEqual([sent, sent - acked, 5 - sent])
    }
    await withDeadline(Promise.all(all), 1000, 'all five')
    expect(payloads(broker.publishes)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4'])
  })
})

describe('races with a socket under back-pressure', () => {
  test('a message waiting for the socket has no packet id yet: an ack can only be for what was handed over', async () => {
    const { client, broker, events } = robust({ messageTimeoutMs: 400 })
    await client.connect()
    broker.holdWrites = true
    const first = inspect(client.publish('t', 'first', { qos: 1 }))
    const second = inspect(client.publish('t', 'second', { qos: 1 }))
    await waitFor(() => client.inFlight === 1, 'the first handed over')
    await flush()
    expect(second().state).toBe('pending') // waiting for the socket, not in flight
    broker.releaseWrites()
    await waitFor(() => client.inFlight === 2, 'the second handed over after the drain')
    broker.ack(1)
    await waitFor(() => first().state !== 'pending', 'the first to settle')
    expect([first().state, second().state]).toEqual(['resolved', 'pending'])
    broker.ack(2)
    await waitFor(() => second().state !== 'pending', 'the second to settle')
    expect(names(events)).toEqual(['connect'])
  })

  test('a QoS 0 message waiting for a full socket when the link dies goes out on the next link, in order', async () => {
    const { client, broker } = robust()
    await client.connect()
    broker.holdWrites = true
    const a = inspect(client.publish('t', 'a')) // taken by the socket: the link dies with it (QoS 0 promises no more)
    const b = inspect(client.publish('t', 'b')) // waits for room
    const c = inspect(client.publish('t', 'c')) // waits behind b
    await waitFor(() => broker.heldWrites === 1 && a().state === 'resolved', 'a handed over')
    broker.holdWrites = false
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    await waitFor(() => b().state !== 'pending' && c().state !== 'pending', 'b and c to be sent again', 1000)
    expect([b().state, c().state]).toEqual(['resolved', 'resolved'])
    expect(broker.publishes.filter((p) => p.link === 2).map((p) => p.payload)).toEqual(['b', 'c'])
  })
})
