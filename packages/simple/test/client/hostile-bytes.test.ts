/**
 * A broker that sends what no broker should, over a real TCP socket and over a real WebSocket: every case is a typed
 * MqttError from the next call, a closed socket, and a client that connects again as if nothing
 * happened. Bytes are written out by hand, so each case is exactly the violation it names.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, SUNKNOWNPID, encode } from '@x/simple'
import { FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker
let client: MqttClient
let statuses: Array<[number, number]>

async function connected(): Promise<FakeConnection> {
  await client.connect()
  return broker.connection()
}

/** Sends the bytes, and returns what the next waitMsg() threw, once the socket is closed. */
async function failureAfter(conn: FakeConnection, bytes: number[]): Promise<MqttError> {
  conn.send(bytes)
  const error = await thrown(() => client.waitMsg(3000))
  await conn.closed
  expect(error).toBeInstanceOf(MqttError)
  return error as MqttError
}

/** The client reports the failure once, then is usable again: connect() and a round trip work. */
async function recovers(): Promise<void> {
  expect(client.isConnected).toBe(false)
  expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
  const before = broker.connections.length
  await client.connect()
  const conn = await broker.connection(before)
  const pid = await client.publish('after/recovery', 'ok', { qos: 1 })
  expect(await conn.next('publish')).toMatchObject({ topic: 'after/recovery', pid })
  conn.send({ type: 'puback', pid: pid as number })
  await client.waitMsg(2000)
  expect(statuses.at(-1)).toEqual([pid, 1])
}

const u = (s: string): number[] => [...new TextEncoder().encode(s)]

// Every case over TCP and over WebSocket (one binary frame per send()): the same bytes, the same verdicts.
describe.each(['tcp', 'websocket'] as const)('over %s', (carrier) => {
  beforeEach(async () => {
    broker = await FakeBroker.start({ websocket: carrier === 'websocket' })
    client = new MqttClient({ clientId: 'victim', server: broker.url, maxPacketBytes: 1000, socketTimeoutMs: 2000 })
    statuses = []
    client.setCallbackStatus((pid, status) => statuses.push([pid, status]))
  })

  afterEach(async () => {
    await client.disconnect()
    await broker.close()
  })

  describe('malformed packets: typed error, closed socket, client usable again', () => {
    test.each<[string, number[], string, string]>([
      ['reserved flag bits on PUBACK', [0x41, 2, 0, 1], 'EMALFORMED', '[MQTT-2.2.2-2]'],
      ['PUBREL without its 0010 flags', [0x60, 2, 0, 1], 'EMALFORMED', '[MQTT-2.2.2-2]'],
      ['Remaining Length over 4 bytes', [0x30, 0xff, 0xff, 0xff, 0xff, 0x01], 'EMALFORMED', '[MQTT-2.2.3]'],
      ['a topic length past the end of the packet', [0x30, 3, 0, 9, 0x61], 'EREADLEN', '[MQTT-2.2.3]'],
      ['PUBACK with 3 bytes of body', [0x40, 3, 0, 1, 0], 'EREADLEN', 'PUBACK'],
      ['PUBLISH with QoS 3', [0x36, 5, 0, 1, 0x61, 0, 1], 'EMALFORMED', '[MQTT-3.3.1-4]'],
      ['PUBLISH QoS 1 with packet id 0', [0x32, 5, 0, 1, 0x61, 0, 0], 'EMALFORMED', '[MQTT-2.3.1-1]'],
      ['a topic of invalid UTF-8', [0x30, 4, 0, 2, 0xc3, 0x28], 'EMALFORMED', '[MQTT-1.5.3-1]'],
      ['a topic with U+0000', [0x30, 5, 0, 3, 0x61, 0, 0x62], 'EMALFORMED', 'U+0000'],
      ['a topic with an encoded surrogate', [0x30, 5, 0, 3, 0xed, 0xa0, 0x80], 'EMALFORMED', '[MQTT-1.5.3-1]'],
      ['an empty topic', [0x30, 2, 0, 0], 'EMALFORMED', 'topic'],
      ['a # wildcard in a received topic', [0x30, 5, 0, 3, ...u('a/#')], 'EMALFORMED', '[MQTT-3.3.2-2]'],
      ['a + wildcard in a received topic', [0x30, 5, 0, 3, ...u('+/b')], 'EMALFORMED', '[MQTT-3.3.2-2]'],
      ['SUBACK return code 3', [0x90, 3, 0, 1, 3], 'ESUBACKUNKNOWN', '[MQTT-3.9.3-2]'],
      ['packet type 0 (reserved)', [0x00, 0], 'EMALFORMED', 'reserved'],
      ['packet type 15 (reserved)', [0xf0, 0], 'EMALFORMED', 'reserved'],
      ['CONNECT sent to a client', [0x10, 0], 'ERESPONSE', 'CONNECT'],
      ['SUBSCRIBE sent to a client', [0x82, 0], 'ERESPONSE', 'SUBSCRIBE'],
      ['UNSUBSCRIBE sent to a client', [0xa2, 0], 'ERESPONSE', 'UNSUBSCRIBE'],
      ['PINGREQ sent to a client', [0xc0, 0], 'ERESPONSE', 'PINGREQ'],
      ['DISCONNECT from the server', [0xe0, 0], 'ERESPONSE', 'DISCONNECT'],
      ['a second CONNACK', [0x20, 2, 0, 0], 'ERESPONSE', 'CONNACK'],
    ])('%s', async (_name, bytes, code, mentions) => {
      const conn = await connected()
      const error = await failureAfter(conn, bytes)
      expect(error.code).toBe(code)
      expect(error.message).toContain(mentions)
      await recovers()
    })

    test('a packet other than PUBLISH over maxPacketBytes is EOVERSIZE as soon as its header arrives', async () => {
      const conn = await connected()
      // Only the header of a 5000-byte SUBACK: the client must not wait for (or buffer) the body.
      const error = await failureAfter(conn, [0x90, 0x88, 0x27])
      expect(error.code).toBe('EOVERSIZE')
      expect(error.message).toContain('maxPacketBytes')
      await recovers()
    })

    test('the good packets before a bad one in the same chunk are still delivered', async () => {
      const conn = await connected()
      const topics: string[] = []
      client.setCallback((topic) => topics.push(topic))
      conn.send([
        ...encode({ type: 'publish', topic: 'good', payload: new Uint8Array(), qos: 0, retain: false, dup: false }),
        0x41,
        2,
        0,
        1,
      ])
      await conn.closed
      // The call that reports the failure first runs the callbacks of what arrived before it.
      expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'EMALFORMED' }))
      expect(topics).toEqual(['good'])
      await recovers()
    })

    test('the broker closing the socket is ECONCLOSE (1) from the next call', async () => {
      const conn = await connected()
      conn.destroy()
      await expect(client.waitMsg(3000)).rejects.toMatchObject({ code: 'ECONCLOSE', errno: 1 })
      await recovers()
    })

    test('a socket closed in the middle of a packet is ECONCLOSE, not a hang', async () => {
      const conn = await connected()
      conn.send([0x30, 100, 0, 3])
      conn.destroy()
      await expect(client.waitMsg()).rejects.toMatchObject({ code: 'ECONCLOSE' })
      await recovers()
    })
  })

  describe('a malformed CONNACK fails connect()', () => {
    test.each<[string, number[], string]>([
      ['CONNACK with 3 bytes of body', [0x20, 3, 0, 0, 0], 'ECONLENGTH'],
      ['CONNACK with reserved acknowledge flags', [0x20, 2, 0x02, 0], 'ECONLENGTH'],
      ['CONNACK with flags on the fixed header', [0x21, 2, 0, 0], 'ECONLENGTH'],
      ['SUBACK instead of CONNACK', [0x90, 3, 0, 1, 0], 'ECONLENGTH'],
    ])('%s', async (_name, bytes, code) => {
      broker.onConnection = async (conn) => {
        await conn.next('connect')
        conn.send(bytes)
      }
      await expect(client.connect()).rejects.toMatchObject({ code })
      await (
        await broker.connection()
      ).closed
      expect(client.isConnected).toBe(false)
      broker.onConnection = async (conn) => {
        await conn.next('connect')
        conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
      }
      await recovers()
    })
  })

  describe('the first bytes are not a CONNACK: what the server speaks instead', () => {
    test.each<[string, number[], string, string]>([
      ['a TLS alert (plain MQTT to a TLS port)', [0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28], 'ETLS', 'mqtts://'],
      ['a TLS handshake record', [0x16, 0x03, 0x03, 0x00, 0x02, 0x00, 0x00], 'ETLS', 'TLS port'],
      ['an HTTP answer (a web port): the wrong kind of port, proved', u('HTTP/1.1 400 Bad Request\r\n\r\n'), 'EWRONGPORT', 'ws://'],
      ['an "H" that does not begin "HTTP/"', [0x48, 0x00, 0x00, 0x00, 0x00], 'ECONLENGTH', '0x48'],
      ['a PUBACK before CONNACK', [0x40, 2, 0, 1], 'ECONLENGTH', '0x40'],
    ])('%s', async (_name, bytes, code, mentions) => {
      broker.onConnection = async (conn) => {
        await conn.next('connect')
        conn.send(bytes)
      }
      const error = await thrown(() => client.connect())
      expect(error).toMatchObject({ code, operation: 'connect', message: expect.stringContaining(mentions) })
      if (code === 'ECONLENGTH') expect((error as MqttError).message).toContain('[MQTT-3.2.0-1]')
      await (
        await broker.connection()
      ).closed
    })
  })

  describe('tolerated where the rule binds only the sender: delivered, link kept', () => {
    test.each<[string, number[], { topic: string; dup: boolean }]>([
      ['DUP on a QoS 0 PUBLISH [MQTT-3.3.1-2]', [0x38, 3, 0, 1, 0x61], { topic: 'a', dup: true }],
      ['control characters in a topic (a SHOULD NOT, [MQTT-1.5.3])', [0x30, 5, 0, 3, 0x61, 0x07, 0x1f], { topic: 'a\x07\x1f', dup: false }],
      ['U+007F and C1 controls in a topic', [0x30, 5, 0, 3, 0x7f, 0xc2, 0x85], { topic: '\x7f\x85', dup: false }],
    ])('%s', async (_name, bytes, expected) => {
      const conn = await connected()
      const got: Array<{ topic: string; dup: boolean }> = []
      client.setCallback((topic, _payload, _retained, dup) => got.push({ topic, dup }))
      conn.send(bytes)
      let processed = 0
      for (let i = 0; i < 5 && !processed; i++) processed = await client.waitMsg(1000)
      expect(got).toEqual([expected])
      expect(client.isConnected).toBe(true)
      expect(conn.isClosed).toBe(false)
    })
  })

  describe('a PUBLISH over maxPacketBytes is a poison message, not a broken link', () => {
    /** A PUBLISH of `size` payload bytes (1000 is maxPacketBytes here), as bytes. */
    const big = (qos: 0 | 1 | 2, pid: number, size: number): Uint8Array =>
      encode({
        type: 'publish',
        topic: 'big/one',
        payload: new Uint8Array(size).fill(7),
        qos,
        retain: qos === 1,
        dup: false,
        ...(qos ? { pid } : {}),
      })

    test.each([0, 1, 2] as const)(
      'QoS %i: skipped unbuffered, acknowledged, reported with topic and size; the next message arrives',
      async (qos) => {
        const conn = await connected()
        const oversize: unknown[] = []
        const messages: string[] = []
        client.setCallbackOversize((topic, bytes, q, retained) => oversize.push({ topic, bytes, qos: q, retained }))
        client.setCallback((topic) => messages.push(topic))
        const packet = big(qos, 9, 50_000)
        // In pieces, as a real socket delivers a big packet.
        for (let at = 0; at < packet.length; at += 4096) conn.send(packet.subarray(at, at + 4096))
        conn.send({ type: 'publish', topic: 'small/next', payload: new Uint8Array(1), qos: 0, retain: false, dup: false })
        for (let i = 0; i < 10 && messages.length === 0; i++) await client.waitMsg(1000)
        expect(oversize).toEqual([{ topic: 'big/one', bytes: packet.length, qos, retained: qos === 1 }])
        expect(messages).toEqual(['small/next'])
        if (qos === 1) expect(await conn.next('puback')).toEqual({ type: 'puback', pid: 9 })
        if (qos === 2) {
          expect(await conn.next('pubrec')).toEqual({ type: 'pubrec', pid: 9 })
          // The broker sends it again (DUP) before PUBREL: held, so not reported twice.
          conn.send(big(2, 9, 50_000))
          conn.send({ type: 'pubrel', pid: 9 })
          const answered = conn.next('pubcomp')
          for (let i = 0; i < 10 && !conn.received.some((p) => p.type === 'pubcomp'); i++) await client.waitMsg(200)
          expect(await answered).toEqual({ type: 'pubcomp', pid: 9 })
          expect(oversize).toHaveLength(1)
        }
        expect(client.isConnected).toBe(true)
        expect(conn.isClosed).toBe(false)
      },
    )

    test('a skipped PUBLISH whose topic runs past its end is still a malformed packet', async () => {
      const conn = await connected()
      // Remaining Length 2000 (over the limit), topic length 0xffff: more than the packet holds.
      const bytes = [0x30, 0xd0, 0x0f, 0xff, 0xff, ...new Array<number>(1998).fill(0x61)]
      const error = await failureAfter(conn, bytes)
      expect(error.code).toBe('EREADLEN')
      await recovers()
    })
  })

  describe('unsolicited packets are not errors', () => {
    test('PUBACK, PUBCOMP, UNSUBACK and SUBACK for unknown ids: SUNKNOWNPID; PINGRESP: nothing', async () => {
      const conn = await connected()
      conn.send({ type: 'puback', pid: 7 })
      conn.send({ type: 'pubcomp', pid: 8 })
      conn.send({ type: 'unsuback', pid: 9 })
      conn.send({ type: 'suback', pid: 10, returnCodes: [0] })
      conn.send({ type: 'pingresp' })
      let processed = 0
      for (let i = 0; i < 5 && processed < 5; i++) processed += await client.waitMsg(2000)
      expect(processed).toBe(5)
      expect(statuses).toEqual([
        [7, SUNKNOWNPID],
        [8, SUNKNOWNPID],
        [9, SUNKNOWNPID],
        [10, SUNKNOWNPID],
      ])
      expect(client.isConnected).toBe(true)
    })

    test('an ack of the wrong kind for a pending id does not settle it', async () => {
      const conn = await connected()
      const pid = (await client.publish('t', 'x', { qos: 2 })) as number
      conn.send({ type: 'puback', pid })
      await client.waitMsg(2000)
      expect(statuses).toEqual([[pid, SUNKNOWNPID]])
      conn.send({ type: 'pubrec', pid })
      await client.waitMsg(2000)
      expect(await conn.next('pubrel')).toEqual({ type: 'pubrel', pid })
      conn.send({ type: 'pubcomp', pid })
      await client.waitMsg(2000)
      expect(statuses.at(-1)).toEqual([pid, 1])
    })

    test('an unsolicited PUBREL is answered with PUBCOMP, an unknown PUBREC with PUBREL', async () => {
      const conn = await connected()
      conn.send({ type: 'pubrel', pid: 42 })
      conn.send({ type: 'pubrec', pid: 43 })
      // Answered by checkMsg(), like everything the broker sends.
      for (let i = 0, n = 0; i < 2 && n < 2; i++) n += await client.waitMsg(2000)
      expect(await conn.next('pubcomp')).toEqual({ type: 'pubcomp', pid: 42 })
      expect(await conn.next('pubrel')).toEqual({ type: 'pubrel', pid: 43 })
      expect(statuses).toEqual([])
      expect(client.isConnected).toBe(true)
    })
  })
})
