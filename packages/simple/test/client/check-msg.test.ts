/**
 * checkMsg() and waitMsg(): never waiting, partial packets kept, callbacks only inside the call
 * and in arrival order, inbound QoS 1 and 2 acknowledged, statuses for every ack and timeout.
 */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { SDELIVERED, SREFUSED, STIMEOUT, encode, type Packet } from '@x/simple'
import { recordingClient } from '../support/recording-client.js'

afterEach(() => {
  vi.useRealTimers()
})

const publish = (topic: string, payload: string, more: Partial<Extract<Packet, { type: 'publish' }>> = {}): Packet => ({
  type: 'publish',
  topic,
  payload: new TextEncoder().encode(payload),
  qos: 0,
  retain: false,
  dup: false,
  ...more,
})

async function online(options = {}) {
  const rec = recordingClient(options)
  await rec.client.connect()
  return { ...rec, conn: rec.broker.last }
}

describe('checkMsg()', () => {
  test('returns 0 at once when nothing arrived', async () => {
    const { client } = await online()
    expect(client.checkMsg()).toBe(0)
    await client.disconnect()
  })

  test('callbacks run only inside checkMsg(), in arrival order, with retained and dup', async () => {
    const { client, conn, messages } = await online()
    conn.send(publish('a', '1'))
    conn.send(publish('b', '2', { retain: true }))
    conn.send(publish('c', '3', { qos: 1, pid: 5, dup: true }))
    expect(messages).toEqual([])
    expect(client.checkMsg()).toBe(3)
    expect(messages).toEqual([
      { topic: 'a', payload: '1', retained: false, dup: false },
      { topic: 'b', payload: '2', retained: true, dup: false },
      { topic: 'c', payload: '3', retained: false, dup: true },
    ])
    await client.disconnect()
  })

  test('a packet split across chunks stays buffered until whole, at every split point', async () => {
    const { client, conn, messages } = await online()
    const bytes = encode(publish('split/topic', 'payload of the split packet', { qos: 1, pid: 9 }))
    for (let cut = 1; cut < bytes.length; cut++) {
      conn.send(bytes.slice(0, cut))
      expect(client.checkMsg()).toBe(0)
      conn.send(bytes.slice(cut))
      expect(client.checkMsg()).toBe(1)
    }
    expect(messages).toHaveLength(bytes.length - 1)
    expect(new Set(messages.map((m) => m.payload))).toEqual(new Set(['payload of the split packet']))
    expect(conn.sent('puback')).toHaveLength(bytes.length - 1)
    await client.disconnect()
  })

  test('a throwing callback loses nothing: the message is acknowledged and the rest wait for the next call', async () => {
    const { client, conn } = await online()
    const seen: string[] = []
    client.setCallback((topic) => {
      seen.push(topic)
      if (topic === 'boom') throw new Error('user bug')
    })
    conn.send(publish('boom', 'x', { qos: 1, pid: 1 }))
    conn.send(publish('after', 'y'))
    expect(() => client.checkMsg()).toThrow('user bug')
    expect(conn.sent('puback')).toEqual([{ type: 'puback', pid: 1 }])
    expect(client.checkMsg()).toBe(1)
    expect(seen).toEqual(['boom', 'after'])
    expect(client.isConnected).toBe(true)
    await client.disconnect()
  })
})

describe('inbound QoS', () => {
  test('QoS 1 is answered with PUBACK for its pid', async () => {
    const { client, conn } = await online()
    conn.send(publish('q1', 'x', { qos: 1, pid: 300 }))
    client.checkMsg()
    expect(conn.sent('puback')).toEqual([{ type: 'puback', pid: 300 }])
    await client.disconnect()
  })

  test('QoS 2 reaches the callback once: resends before PUBREL are acknowledged, not delivered', async () => {
    const { client, conn, messages } = await online()
    conn.send(publish('q2', 'once', { qos: 2, pid: 7 }))
    conn.send(publish('q2', 'once', { qos: 2, pid: 7, dup: true }))
    client.checkMsg()
    expect(messages).toHaveLength(1)
    expect(conn.sent('pubrec')).toEqual([
      { type: 'pubrec', pid: 7 },
      { type: 'pubrec', pid: 7 },
    ])
    conn.send({ type: 'pubrel', pid: 7 })
    client.checkMsg()
    expect(conn.sent('pubcomp')).toEqual([{ type: 'pubcomp', pid: 7 }])
    // After PUBREL the id is free: a new message with it is a new message.
    conn.send(publish('q2', 'again', { qos: 2, pid: 7 }))
    client.checkMsg()
    expect(messages.map((m) => m.payload)).toEqual(['once', 'again'])
    await client.disconnect()
  })
})

describe('statuses', () => {
  test('SDELIVERED for PUBACK, PUBCOMP (after PUBREC → PUBREL), SUBACK and UNSUBACK', async () => {
    const { client, conn, statuses } = await online()
    const q1 = (await client.publish('t', 'a', { qos: 1 })) as number
    const q2 = (await client.publish('t', 'b', { qos: 2 })) as number
    const sub = await client.subscribe('s/#', { qos: 2 })
    const unsub = await client.unsubscribe('s/#')
    expect([q1, q2, sub, unsub]).toEqual([1, 2, 3, 4])
    expect(conn.sent('subscribe')[0]?.subscriptions).toEqual([{ filter: 's/#', qos: 2 }])
    expect(conn.sent('unsubscribe')[0]?.filters).toEqual(['s/#'])
    conn.send({ type: 'puback', pid: q1 })
    conn.send({ type: 'pubrec', pid: q2 })
    client.checkMsg()
    expect(conn.sent('pubrel')).toEqual([{ type: 'pubrel', pid: q2 }])
    expect(statuses).toEqual([[q1, SDELIVERED]])
    conn.send({ type: 'pubcomp', pid: q2 })
    conn.send({ type: 'suback', pid: sub, returnCodes: [1] })
    conn.send({ type: 'unsuback', pid: unsub })
    client.checkMsg()
    expect(statuses).toEqual([
      [q1, SDELIVERED],
      [q2, SDELIVERED],
      [sub, SDELIVERED],
      [unsub, SDELIVERED],
    ])
    await client.disconnect()
  })

  test('SUBACK 0x80 is SREFUSED (3); a SUBACK with two codes for one filter is ESUBACKUNKNOWN (40)', async () => {
    const { client, conn, statuses } = await online()
    const refused = await client.subscribe('no/access')
    conn.send({ type: 'suback', pid: refused, returnCodes: [0x80] })
    client.checkMsg()
    expect(statuses).toEqual([[refused, SREFUSED]])
    const odd = await client.subscribe('x')
    conn.send({ type: 'suback', pid: odd, returnCodes: [0, 0] })
    expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ESUBACKUNKNOWN', errno: 40 }))
    expect(conn.closed).toBe(true)
  })

  test('STIMEOUT (0) once messageTimeoutMs has passed, then SUNKNOWNPID for the late ack', async () => {
    vi.useFakeTimers()
    const { client, conn, statuses } = await online({ messageTimeoutMs: 1000 })
    const pid = (await client.publish('t', 'x', { qos: 1 })) as number
    vi.advanceTimersByTime(999)
    client.checkMsg()
    expect(statuses).toEqual([])
    vi.advanceTimersByTime(1)
    // The deadline passed while nothing was read: one round of I/O first, which could bring the ack.
    client.checkMsg()
    expect(statuses).toEqual([])
    await vi.advanceTimersByTimeAsync(0)
    client.checkMsg()
    expect(statuses).toEqual([[pid, STIMEOUT]])
    conn.send({ type: 'puback', pid })
    client.checkMsg()
    expect(statuses).toEqual([
      [pid, STIMEOUT],
      [pid, 2],
    ])
    await client.disconnect()
  })

  test('an ack that waited in the socket while the program was busy past the deadline is SDELIVERED, not STIMEOUT', async () => {
    vi.useFakeTimers()
    const { client, conn, statuses } = await online({ messageTimeoutMs: 1000 })
    const pid = (await client.publish('t', 'x', { qos: 1 })) as number
    vi.setSystemTime(Date.now() + 5000) // busy: the clock moved on, no I/O ran
    client.checkMsg() // the user's loop runs first, before the socket is read
    conn.send({ type: 'puback', pid }) // the ack was in the socket all along
    await vi.advanceTimersByTimeAsync(0)
    client.checkMsg()
    expect(statuses).toEqual([[pid, 1]])
    await client.disconnect()
  })

  test('messageTimeoutMs 0 never times out', async () => {
    vi.useFakeTimers()
    const { client, statuses } = await online({ messageTimeoutMs: 0 })
    await client.publish('t', 'x', { qos: 1 })
    vi.advanceTimersByTime(10 * 24 * 3600 * 1000)
    client.checkMsg()
    expect(statuses).toEqual([])
    await client.disconnect()
  })
})

describe('disconnect() from inside a callback', () => {
  test('no further callback runs and nothing more is acknowledged', async () => {
    const { client, conn } = await online()
    const seen: string[] = []
    client.setCallback((topic) => {
      seen.push(topic)
      if (topic === 'stop') void client.disconnect()
    })
    const statuses: number[] = []
    client.setCallbackStatus((pid) => statuses.push(pid))
    const pid = (await client.publish('t', 'x', { qos: 1 })) as number
    conn.send(publish('before', '1', { qos: 1, pid: 1 }))
    conn.send(publish('stop', '2', { qos: 1, pid: 2 }))
    conn.send(publish('after', '3', { qos: 1, pid: 3 }))
    conn.send({ type: 'puback', pid })
    expect(client.checkMsg()).toBe(2)
    expect(seen).toEqual(['before', 'stop'])
    expect(statuses).toEqual([])
    // Acknowledged before each callback ran: the two delivered, not the one behind the disconnect.
    expect(conn.received.filter((p) => p.type === 'puback')).toEqual([
      { type: 'puback', pid: 1 },
      { type: 'puback', pid: 2 },
    ])
    expect(client.isConnected).toBe(false)
    expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
  })

  test('from a status callback too: the statuses behind it are not reported', async () => {
    const { client, conn } = await online({ messageTimeoutMs: 0 })
    const a = (await client.publish('t', 'a', { qos: 1 })) as number
    const b = (await client.publish('t', 'b', { qos: 1 })) as number
    const statuses: number[] = []
    client.setCallbackStatus((pid) => {
      statuses.push(pid)
      void client.disconnect()
    })
    conn.send({ type: 'puback', pid: a })
    conn.send({ type: 'puback', pid: b })
    client.checkMsg()
    expect(statuses).toEqual([a])
  })
})

describe('what the callbacks are given', () => {
  test('the message callback gets the QoS; the status callback the SUBACK return code', async () => {
    const { client, conn } = await online()
    const got: unknown[] = []
    client.setCallback((topic, _payload, retained, dup, qos) => got.push({ topic, retained, dup, qos }))
    client.setCallbackStatus((pid, status, granted) => got.push({ pid, status, granted }))
    const s1 = await client.subscribe('a', { qos: 2 })
    const s2 = await client.subscribe('b', { qos: 1 })
    const p1 = (await client.publish('c', 'x', { qos: 1 })) as number
    conn.send({ type: 'suback', pid: s1, returnCodes: [1] })
    conn.send({ type: 'suback', pid: s2, returnCodes: [0x80] })
    conn.send({ type: 'puback', pid: p1 })
    conn.send(publish('a', '0'))
    conn.send(publish('a', '1', { qos: 1, pid: 7, retain: true }))
    conn.send(publish('a', '2', { qos: 2, pid: 8, dup: true }))
    client.checkMsg()
    expect(got).toEqual([
      { pid: s1, status: SDELIVERED, granted: 1 },
      { pid: s2, status: SREFUSED, granted: 0x80 },
      { pid: p1, status: SDELIVERED, granted: undefined },
      { topic: 'a', retained: false, dup: false, qos: 0 },
      { topic: 'a', retained: true, dup: false, qos: 1 },
      { topic: 'a', retained: false, dup: true, qos: 2 },
    ])
    await client.disconnect()
  })
})

describe('waitMsg()', () => {
  test('resolves 0 when the time is up, and early when a packet arrives', async () => {
    vi.useFakeTimers()
    const { client, conn, messages } = await online()
    const quiet = client.waitMsg(500)
    await vi.advanceTimersByTimeAsync(500)
    expect(await quiet).toBe(0)
    const woken = client.waitMsg(60_000)
    await vi.advanceTimersByTimeAsync(10)
    conn.send(publish('t', 'x'))
    expect(await woken).toBe(1)
    expect(messages).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(0)
    await client.disconnect()
  })

  test('a pending id reaching its deadline ends the wait with STIMEOUT', async () => {
    vi.useFakeTimers()
    const { client, statuses } = await online({ messageTimeoutMs: 2000 })
    const pid = await client.subscribe('t')
    const waiting = client.waitMsg(60_000)
    await vi.advanceTimersByTimeAsync(2000)
    expect(statuses).toEqual([])
    // At the deadline, one round of I/O runs first (it could bring the ack); then STIMEOUT.
    await vi.advanceTimersByTimeAsync(1)
    expect(await waiting).toBe(0)
    expect(statuses).toEqual([[pid, STIMEOUT]])
    await client.disconnect()
  })

  test('disconnect() ends a wait under way', async () => {
    const { client } = await online()
    const waiting = client.waitMsg()
    await client.disconnect()
    await expect(waiting).rejects.toMatchObject({ code: 'ECONNOT' })
  })
})
