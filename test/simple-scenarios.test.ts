/**
 * umqtt.simple2's self-test (its tests.py TestMQTT), ported to @x/simple and run against real
 * brokers: aedes in this process and the mosquitto daemon. Each scenario is written once and runs
 * per broker. The fault-dependent ones (timeouts, last will) are in simple-faults.test.ts, and
 * the packet id wrap in simple-pid-wrap.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { SDELIVERED, type QoS } from '@x/simple'
import { BROKERS, startPlainBroker, type PlainBroker } from './support/brokers.js'
import { ClientPool, pump, uid, type Recorder } from './support/test-clients.js'

describe.each(BROKERS)('%s', (name) => {
  let broker: PlainBroker
  const pool = new ClientPool()

  beforeAll(async () => {
    broker = await startPlainBroker(name)
  })
  afterEach(() => pool.closeAll())
  afterAll(async () => {
    await pool.closeAll()
    await broker?.stop()
  })

  /** A new client of this broker (not connected yet). */
  const client = (clientId = uid('c'), options: { messageTimeoutMs?: number } = {}): Recorder =>
    pool.make({ clientId, server: broker.url, ...options })

  /** A connected client subscribed to `filters` (each SUBACK seen). */
  async function subscriber(filters: string[], qos: QoS = 1, clientId?: string): Promise<Recorder> {
    const r = client(clientId)
    await r.client.connect()
    await subscribe(r, filters, qos)
    return r
  }

  async function subscribe(r: Recorder, filters: string[], qos: QoS = 1): Promise<void> {
    const pids = await Promise.all(filters.map((f) => r.client.subscribe(f, { qos })))
    await pump(r, () => pids.every((pid) => r.statusOf(pid) === SDELIVERED), `SUBACK for ${filters.join(', ')}`)
  }

  test('connect: a clean session is never resumed; disconnect() is idempotent and ends the connection', async () => {
    const r = client()
    expect(r.client.isConnected).toBe(false)
    expect(await r.client.connect()).toBe(false)
    expect(r.client.isConnected).toBe(true)
    expect(r.client.checkMsg()).toBe(0)
    await r.client.disconnect()
    expect(r.client.isConnected).toBe(false)
    await r.client.disconnect()
    expect(() => r.client.checkMsg()).toThrow(expect.objectContaining({ errno: 28, code: 'ECONNOT' }))
    await expect(r.client.publish('x/y', 'z')).rejects.toMatchObject({ errno: 28 })
    // connect() again on the same object works.
    expect(await r.client.connect()).toBe(false)
    expect(r.client.isConnected).toBe(true)
  })

  test('an empty client id with a clean session: the broker assigns one', async () => {
    const r = client('')
    expect(await r.client.connect()).toBe(false)
    const topic = uid('anonymous')
    await subscribe(r, [topic])
    await r.client.publish(topic, 'who am I', { qos: 1 })
    await pump(r, () => r.on(topic).length > 0, 'the message')
    await expect(r.client.connect({ cleanSession: false })).rejects.toMatchObject({ code: 'ECLIENTID' })
  })

  test('a second client with the same id takes over: the first one’s next call throws ECONCLOSE (1)', async () => {
    const id = uid('twin')
    const first = client(id)
    await first.client.connect()
    const second = client(id)
    await second.client.connect()
    await expect(pump(first, () => false, 'never', 3000)).rejects.toMatchObject({ errno: 1, code: 'ECONCLOSE' })
    expect(first.client.isConnected).toBe(false)
    expect(second.client.isConnected).toBe(true)
    expect(second.client.checkMsg()).toBe(0)
  })

  test('publish QoS 0: no packet id, and the message reaches a subscriber', async () => {
    const topic = uid('qos0')
    const sub = await subscriber([topic], 0)
    const pub = client()
    await pub.client.connect()
    expect(await pub.client.publish(topic, 'fire and forget')).toBeUndefined()
    await pump(sub, () => sub.on(topic).length > 0, 'the QoS 0 message')
    expect(sub.on(topic)).toMatchObject([{ text: 'fire and forget', qos: 0, retained: false, dup: false }])
  })

  test.each([0, 1, 2] as const)('subscribe at QoS %i and receive your own publish at that QoS, once', async (qos) => {
    const topic = uid(`self-qos${qos}`)
    const marker = `${topic}/marker`
    const r = client()
    await r.client.connect()
    const subPid = await r.client.subscribe(topic, { qos })
    await pump(r, () => r.statusOf(subPid) === SDELIVERED, 'SUBACK')
    const pid = await r.client.publish(topic, `hello at ${qos}`, { qos })
    if (qos === 0) expect(pid).toBeUndefined()
    else expect(pid).toBeGreaterThan(subPid)
    await pump(r, () => r.on(topic).length > 0 && (qos === 0 || r.statusOf(pid) === SDELIVERED), 'the message and its ack')
    expect(r.on(topic)).toMatchObject([{ text: `hello at ${qos}`, qos, retained: false, dup: false }])
    // A round trip after it: a duplicate of the message would have arrived before this one.
    await subscribe(r, [marker])
    await r.client.publish(marker, 'after', { qos: 1 })
    await pump(r, () => r.on(marker).length > 0, 'the marker')
    expect(r.on(topic)).toHaveLength(1)
  })

  test('publish QoS 1: SDELIVERED for that pid when its PUBACK arrives', async () => {
    const r = client()
    await r.client.connect()
    const pid = await r.client.publish(uid('qos1'), 'ack me', { qos: 1 })
    expect(pid).toBe(1) // a new client's first packet id
    await pump(r, () => r.statusOf(pid) !== undefined, 'a status')
    expect(r.statuses).toEqual([{ pid, status: SDELIVERED }])
    expect(r.packets).toEqual([{ type: 'puback', pid }])
  })

  test('publish QoS 2: PUBREC is answered, and SDELIVERED comes with PUBCOMP', async () => {
    const r = client()
    await r.client.connect()
    const pid = await r.client.publish(uid('qos2'), 'exactly once', { qos: 2 })
    await pump(r, () => r.statusOf(pid) !== undefined, 'a status')
    expect(r.statuses).toEqual([{ pid, status: SDELIVERED }])
    expect(r.packets).toEqual([
      { type: 'pubrec', pid },
      { type: 'pubcomp', pid },
    ])
  })

  test('an empty payload arrives empty', async () => {
    const topic = uid('empty')
    const r = await subscriber([topic])
    const pid = await r.client.publish(topic, new Uint8Array(0), { qos: 1 })
    await pump(r, () => r.on(topic).length > 0 && r.statusOf(pid) === SDELIVERED, 'the empty message')
    const [message] = r.on(topic)
    expect(message?.payload).toBeInstanceOf(Uint8Array)
    expect(message?.payload.length).toBe(0)
  })

  test('retained: a later subscriber gets the message with retained = true, until it is cleared', async () => {
    const topic = uid('retained')
    const marker = `${topic}/marker`
    const r = client()
    await r.client.connect()
    const pid = await r.client.publish(topic, 'kept', { qos: 1, retain: true })
    await pump(r, () => r.statusOf(pid) === SDELIVERED, 'PUBACK of the retained message')
    // Reconnect, then subscribe: the broker hands over what it kept.
    expect(await r.client.connect()).toBe(false)
    await subscribe(r, [topic])
    await pump(r, () => r.on(topic).length > 0, 'the retained message')
    expect(r.on(topic)).toMatchObject([{ text: 'kept', retained: true }])
    // A live message on the same topic is not flagged retained [MQTT-3.3.1-9].
    await r.client.publish(topic, 'live', { qos: 1 })
    await pump(r, () => r.on(topic).length > 1, 'the live message')
    expect(r.on(topic)[1]).toMatchObject({ text: 'live', retained: false })

    // Clean up: an empty retained message deletes it [MQTT-3.3.1-10]; a new subscriber gets nothing.
    const clear = await r.client.publish(topic, '', { qos: 1, retain: true })
    await pump(r, () => r.statusOf(clear) === SDELIVERED, 'PUBACK of the clearing message')
    const later = await subscriber([topic, marker])
    await later.client.publish(marker, 'done', { qos: 1 })
    await pump(later, () => later.on(marker).length > 0, 'the marker')
    expect(later.on(topic)).toEqual([])
  })

  test('a 500-character topic goes through whole', async () => {
    const prefix = uid('long')
    const topic = `${prefix}/${'t'.repeat(500 - prefix.length - 1)}`
    expect(topic).toHaveLength(500)
    const r = await subscriber([topic])
    await r.client.publish(topic, 'long topic', { qos: 1 })
    await pump(r, () => r.messages.length > 0, 'the message')
    expect(r.messages).toMatchObject([{ topic, text: 'long topic' }])
  })

  test('a 1 MiB payload goes through whole, both ways', async () => {
    const topic = uid('big')
    const r = await subscriber([topic])
    const payload = new Uint8Array(1 << 20)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >> 8)) & 0xff
    const pid = await r.client.publish(topic, payload, { qos: 1 })
    await pump(r, () => r.on(topic).length > 0 && r.statusOf(pid) === SDELIVERED, 'the big message', 10_000)
    const [message] = r.on(topic)
    expect(message?.payload.length).toBe(payload.length)
    expect(Buffer.from(message?.payload ?? []).equals(Buffer.from(payload))).toBe(true)
  })

  test('waitMsg(timeoutMs) resolves 0 only when the time is up, not while a big packet is still arriving', async () => {
    const topic = uid('slow-arrival')
    const r = await subscriber([topic])
    const pub = client()
    await pub.client.connect()
    await pub.client.publish(topic, new Uint8Array(4 << 20), { qos: 0 })
    const timeoutMs = 3000
    // Each call either processed a packet, or waited its whole timeout: nothing in between.
    for (let calls = 0; r.on(topic).length === 0 && calls < 5; calls++) {
      const start = Date.now()
      const n = await r.client.waitMsg(timeoutMs)
      if (n === 0) expect(Date.now() - start, 'waitMsg() resolved 0 before its timeout').toBeGreaterThanOrEqual(timeoutMs - 5)
    }
    expect(r.on(topic)).toHaveLength(1)
  })

  test.each([1, 2] as const)(
    'a QoS %i message over maxPacketBytes is a poison message: skipped, acknowledged, reported; the link stays and the next message arrives',
    async (qos) => {
      const topic = uid('oversize')
      const r = pool.make({ clientId: uid('small'), server: broker.url, maxPacketBytes: 1000 })
      const skipped: unknown[] = []
      r.client.setCallbackOversize((t, bytes, q) => skipped.push({ topic: t, bytes, qos: q }))
      await r.client.connect({ cleanSession: false })
      await subscribe(r, [topic], qos)
      const pub = client()
      await pub.client.connect()
      await pub.client.publish(topic, new Uint8Array(5000), { qos })
      await pub.client.publish(topic, 'small', { qos })
      // Both pumped: mosquitto forwards a QoS 2 message once its publisher has answered PUBREC.
      await pump([r, pub], () => r.on(topic).length === 1, 'the small message behind the big one')
      expect(skipped).toEqual([{ topic, bytes: expect.any(Number), qos }])
      expect((skipped[0] as { bytes: number }).bytes).toBeGreaterThan(5000)
      expect(r.texts(topic)).toEqual(['small'])
      expect(r.client.isConnected).toBe(true)
      // Acknowledged: a reconnect with the session does not bring it back (the broker let it go).
      await r.client.disconnect()
      await r.client.connect({ cleanSession: false })
      await pump(r, () => false, 'nothing', 300).catch(() => {})
      expect(skipped).toHaveLength(1)
      expect(r.client.isConnected).toBe(true)
    },
  )

  test('a burst of 3000 messages read late arrives complete and in order', async () => {
    const topic = uid('burst')
    const count = 3000
    const r = await subscriber([topic], 0)
    const pub = client()
    await pub.client.connect()
    for (let i = 0; i < count; i++) await pub.client.publish(topic, String(i))
    // A QoS 1 round trip for the publisher: the broker has taken every message by then.
    const last = await pub.client.publish(`${topic}/end`, 'end', { qos: 1 })
    await pump(pub, () => pub.statusOf(last) === SDELIVERED, 'PUBACK')
    // The subscriber has not read anything yet: its client buffers (and pauses the socket).
    await pump(r, () => r.on(topic).length >= count, 'the burst', 10_000)
    const texts = r.texts(topic)
    expect(texts).toHaveLength(count)
    expect(texts.every((text, i) => text === String(i))).toBe(true)
  })

  test('two clients publish to each other', async () => {
    const base = uid('pair')
    const a = await subscriber([`${base}/to-a`])
    const b = await subscriber([`${base}/to-b`])
    await a.client.publish(`${base}/to-b`, 'hi b', { qos: 1 })
    await b.client.publish(`${base}/to-a`, 'hi a', { qos: 1 })
    await pump([a, b], () => a.messages.length > 0 && b.messages.length > 0, 'both messages')
    expect(a.messages).toMatchObject([{ topic: `${base}/to-a`, text: 'hi a' }])
    expect(b.messages).toMatchObject([{ topic: `${base}/to-b`, text: 'hi b' }])
  })

  test('unsubscribe: SDELIVERED for UNSUBACK, and no more messages on that filter', async () => {
    const topic = uid('unsub')
    const marker = `${topic}/marker`
    const r = await subscriber([topic, marker])
    await r.client.publish(topic, 'before', { qos: 1 })
    await pump(r, () => r.on(topic).length > 0, 'the first message')
    const pid = await r.client.unsubscribe(topic)
    await pump(r, () => r.statusOf(pid) !== undefined, 'UNSUBACK')
    expect(r.statusOf(pid)).toBe(SDELIVERED)
    expect(r.packets).toContainEqual({ type: 'unsuback', pid })
    await r.client.publish(topic, 'after', { qos: 1 })
    await r.client.publish(marker, 'marker', { qos: 1 })
    await pump(r, () => r.on(marker).length > 0, 'the marker')
    expect(r.texts(topic)).toEqual(['before'])
  })

  test('a persistent session (cleanSession false) gets the QoS 1 messages published while it was away', async () => {
    const topic = uid('away')
    const id = uid('persistent')
    const away = client(id)
    expect(await away.client.connect({ cleanSession: false })).toBe(false)
    await subscribe(away, [topic], 1)
    await away.client.disconnect()

    const pub = client()
    await pub.client.connect()
    const pids = [await pub.client.publish(topic, 'm1', { qos: 1 }), await pub.client.publish(topic, 'm2', { qos: 1 })]
    pids.push(await pub.client.publish(topic, 'm3', { qos: 1 }))
    await pump(pub, () => pids.every((pid) => pub.statusOf(pid) === SDELIVERED), 'the three PUBACKs')

    expect(await away.client.connect({ cleanSession: false })).toBe(true)
    await pump(away, () => away.on(topic).length >= 3, 'the queued messages')
    expect(away.texts(topic)).toEqual(['m1', 'm2', 'm3'])
    expect(away.on(topic).every((m) => m.qos === 1)).toBe(true)
    // Clean up: a clean session discards what the broker kept for this client id.
    expect(await away.client.connect({ cleanSession: true })).toBe(false)
  })
})
