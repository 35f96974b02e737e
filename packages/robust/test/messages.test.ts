import { describe, expect, test, vi } from 'vitest'
import type { MessageInfo } from '../src/index.js'
import { waitFor, flush, withDeadline } from '@x/test-support/wait.js'
import { argsOf, names, robust } from './support/harness.js'

const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)

/** The 'message' events so far as [topic, payload text, info]. */
const received = (events: Parameters<typeof argsOf>[0]): Array<[string, string, MessageInfo]> =>
  argsOf(events, 'message').map(([topic, payload, info]) => [topic, decode(payload), info])

describe("'message' events", () => {
  test('carry topic, payload and { retained, dup, qos }, in arrival order, without any polling by the user', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    broker.message('home/a', 'retained q0', { retain: true })
    broker.message('home/b', 'dup q1', { qos: 1, dup: true })
    broker.message('home/c', 'q2', { qos: 2 })
    await waitFor(() => argsOf(events, 'message').length === 3, 'three messages')
    expect(received(events)).toEqual([
      ['home/a', 'retained q0', { retained: true, dup: false, qos: 0 }],
      ['home/b', 'dup q1', { retained: false, dup: true, qos: 1 }],
      ['home/c', 'q2', { retained: false, dup: false, qos: 2 }],
    ])
    const payload = argsOf(events, 'message')[0]?.[1]
    expect(payload).toBeInstanceOf(Uint8Array)
    // The simple client acknowledged them: PUBACK for QoS 1, PUBREC for QoS 2.
    expect(broker.wire.filter((w) => w.type === 'puback' || w.type === 'pubrec')).toMatchObject([
      { type: 'puback', pid: 1 },
      { type: 'pubrec', pid: 2 },
    ])
  })

  test('each message of one batch gets its own QoS (the packet callback runs just before each)', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    broker.receive(
      { type: 'publish', topic: 'x', payload: new TextEncoder().encode('2'), qos: 2, retain: false, dup: false, pid: 9 },
      { type: 'publish', topic: 'x', payload: new TextEncoder().encode('0'), qos: 0, retain: true, dup: false },
      { type: 'publish', topic: 'x', payload: new TextEncoder().encode('1'), qos: 1, retain: false, dup: true, pid: 10 },
    )
    await waitFor(() => argsOf(events, 'message').length === 3, 'the batch')
    expect(received(events).map(([, payload, info]) => [payload, info])).toEqual([
      ['2', { retained: false, dup: false, qos: 2 }],
      ['0', { retained: true, dup: false, qos: 0 }],
      ['1', { retained: false, dup: true, qos: 1 }],
    ])
  })

  test('inbound QoS 2 sent again before PUBREL reaches the listener once', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    broker.message('q2', 'once', { qos: 2, pid: 5 })
    broker.message('q2', 'once', { qos: 2, pid: 5, dup: true })
    broker.receive({ type: 'pubrel', pid: 5 })
    broker.message('q2', 'new message, same pid', { qos: 2, pid: 5 })
    await waitFor(() => broker.wire.filter((w) => w.type === 'pubrec').length === 3, 'three PUBRECs')
    await flush()
    expect(received(events).map(([, payload]) => payload)).toEqual(['once', 'new message, same pid'])
  })

  test('messages keep flowing across an outage', async () => {
    const { client, broker, events } = robust()
    await client.connect()
    broker.message('t', 'before')
    await waitFor(() => argsOf(events, 'message').length === 1, 'the first message')
    broker.drop()
    await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect')
    broker.message('t', 'after')
    await waitFor(() => argsOf(events, 'message').length === 2, 'the second message')
    expect(received(events).map(([, payload]) => payload)).toEqual(['before', 'after'])
  })
})

describe('throwing listeners', () => {
  test("a throwing 'message' listener is reported as 'error'; the next messages and acks still get through", async () => {
    const { client, broker, events } = robust()
    const boom = new Error('listener bug')
    client.on('message', (topic) => {
      if (topic === 'bad') throw boom
    })
    await client.connect()
    const delivered = client.publish('t', 'x', { qos: 1 })
    await waitFor(() => client.inFlight === 1, 'in flight')
    broker.message('bad', '1')
    broker.message('good', '2')
    broker.ack(1)
    await withDeadline(delivered, 1000, 'the PUBACK behind the throwing listener')
    broker.message('bad', '3')
    broker.message('good', '4')
    await waitFor(() => argsOf(events, 'message').length === 4, 'all four messages')
    await flush()
    expect(received(events).map(([topic, payload]) => `${topic} ${payload}`)).toEqual(['bad 1', 'good 2', 'bad 3', 'good 4'])
    expect(argsOf(events, 'error')).toEqual([[boom], [boom]])
    expect(names(events).filter((n) => n === 'disconnect' || n === 'reconnecting')).toEqual([])
    expect(client.isConnected).toBe(true)
  })

  test("with no 'error' listener, a throwing 'message' listener becomes a process warning, and the loop goes on", async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const { client, broker, events } = robust()
      client.removeAllListeners('error')
      const boom = new Error('listener bug')
      client.on('message', () => {
        throw boom
      })
      await client.connect()
      broker.message('a', '1')
      broker.message('b', '2')
      await waitFor(() => argsOf(events, 'message').length === 2, 'both messages')
      await withDeadline(client.publish('t', 'still working'), 1000, 'a publish')
      expect(names(events)).toEqual(['connect', 'message', 'message'])
      expect(warnings.mock.calls).toEqual([[boom], [boom]])
    } finally {
      warnings.mockRestore()
    }
  })

  test("a 'connect' listener that throws after a reconnect is reported as 'error' and does not stop the receive loop", async () => {
    const { client, broker, events } = robust()
    await client.connect()
    let throwOnce = true
    client.on('connect', () => {
      if (!throwOnce) return
      throwOnce = false
      throw new Error('connect listener bug')
    })
    broker.drop()
    await waitFor(() => broker.connections === 2, 'the reconnect')
    await flush()
    broker.autoAck = true
    broker.message('t', 'after the throw')
    const delivered = client.publish('t', 'x', { qos: 1 })
    await waitFor(() => argsOf(events, 'message').length === 1, 'a message after the throwing listener', 500).catch(() => {})
    expect(received(events).map(([, payload]) => payload)).toEqual(['after the throw'])
    expect(
      await withDeadline(
        delivered.then(() => 'delivered'),
        500,
        'a QoS 1 publish',
      ).catch((e: unknown) => String(e)),
    ).toBe('delivered')
    expect(argsOf(events, 'error').map(([e]) => (e as Error).message)).toEqual(['connect listener bug'])
  })

  test("a 'disconnect' listener that throws is reported as 'error'; the client still reconnects", async () => {
    const unhandled: unknown[] = []
    const listener = (reason: unknown): void => {
      unhandled.push(reason)
    }
    process.on('unhandledRejection', listener)
    try {
      const { client, broker, events } = robust()
      await client.connect()
      client.once('disconnect', () => {
        throw new Error('disconnect listener bug')
      })
      broker.drop()
      await waitFor(() => broker.connections === 2 && client.isConnected, 'the reconnect', 500).catch(() => {})
      await flush()
      expect(unhandled.map(String)).toEqual([])
      expect([broker.connections, client.isConnected]).toEqual([2, true])
      expect(argsOf(events, 'error').map(([e]) => (e as Error).message)).toEqual(['disconnect listener bug'])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })
})

test("a 'message' payload's toString() is its text; publish() takes an ArrayBuffer or a view too", async () => {
  const { client, broker, events } = robust()
  await client.connect()
  broker.message('t', 'héllo')
  await waitFor(() => argsOf(events, 'message').length === 1, 'the message')
  expect(argsOf(events, 'message')[0]?.[1].toString()).toBe('héllo')
  await withDeadline(client.publish('t', new DataView(Uint8Array.of(1, 2, 3).buffer, 1)), 1000, 'the DataView publish')
  await withDeadline(client.publish('t', Uint8Array.of(4).buffer), 1000, 'the ArrayBuffer publish')
  expect(broker.publishes.map((p) => p.payload)).toEqual(['\u0002\u0003', '\u0004'])
})
