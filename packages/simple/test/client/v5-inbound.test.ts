/**
 * What the broker sends on MQTT 5.0, from a scripted broker over real loopback TCP. The PUBLISH
 * properties reach the message callback as its sixth argument. Hostile bytes (MQTT 5.0 §4.13):
 * the client sends DISCONNECT with the matching reason code (0x81 malformed, 0x82 protocol error,
 * 0x93 receive maximum exceeded, 0x95 packet too large), closes, and the next call throws an
 * MqttError carrying that code: no crash, no hang. Tolerant where only the sender is bound.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, type ClientOptions, type PublishPacketV5 } from '@x/simple'
import { answerWith, FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { withDeadline } from '@x/test-support/wait.js'
import { cat, hex } from '../codec/hex.js'
import { props, str, whole } from '../codec/v5/fixtures-v5.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker<5>
let client: MqttClient
let messages: Array<{ topic: string; payload: Uint8Array; qos: number; properties: unknown }>

beforeEach(async () => {
  broker = await FakeBroker.start({ protocolVersion: 5 })
  broker.onConnection = answerWith({})
  messages = []
})

afterEach(async () => {
  await client.disconnect()
  await broker.close()
})

async function connected(options: Record<string, unknown> = {}): Promise<FakeConnection<5>> {
  client = new MqttClient({ clientId: 'c1', server: broker.url, protocolVersion: 5, socketTimeoutMs: 2000, ...options } as ClientOptions)
  client.setCallback((topic, payload, _retained, _dup, qos, properties) => messages.push({ topic, payload, qos, properties }))
  await client.connect()
  return broker.connection()
}

async function messagesUntil(n: number): Promise<void> {
  for (let i = 0; i < 20 && messages.length < n; i++) await client.waitMsg(200)
  expect(messages).toHaveLength(n)
}

const publish = (topic: string, properties: PublishPacketV5['properties'] = {}, qos: 0 | 1 | 2 = 0, pid?: number): PublishPacketV5 => ({
  type: 'publish',
  topic,
  payload: Uint8Array.of(0x61),
  qos,
  retain: false,
  dup: false,
  ...(pid === undefined ? {} : { pid }),
  properties,
})

describe('PUBLISH properties: the sixth argument of the message callback', () => {
  test('user properties in wire order, a repeated key as an array of its values in order', async () => {
    const conn = await connected()
    // k=1, j=3, k=2: written by hand so the order on the wire is exactly this.
    const userProps = cat('26', str('k'), str('1'), '26', str('j'), str('3'), '26', str('k'), str('2'))
    conn.send(whole(0x30, str('t'), props(userProps), '61'))
    await messagesUntil(1)
    const properties = messages[0]?.properties as { userProperties: Record<string, unknown> }
    expect(properties).toEqual({ userProperties: { k: ['1', '2'], j: '3' } })
    expect(Object.keys(properties.userProperties)).toEqual(['k', 'j'])
  })

  test('one Subscription Identifier is a number; several are an array (MQTT 5.0 §3.3.4)', async () => {
    const conn = await connected()
    conn.send(whole(0x30, str('t'), props('0b 05'), '61'))
    conn.send(whole(0x30, str('t'), props('0b 01', '0b c8 01'), '61'))
    await messagesUntil(2)
    expect(messages.map((m) => m.properties)).toEqual([{ subscriptionIdentifier: 5 }, { subscriptionIdentifier: [1, 200] }])
  })

  test('every publish property arrives as sent', async () => {
    const conn = await connected()
    const properties = {
      payloadFormatIndicator: true,
      messageExpiryInterval: 60,
      contentType: 'text/plain',
      responseTopic: 'r/1',
      correlationData: Uint8Array.of(1, 2, 3),
      userProperties: { a: 'b' },
    }
    conn.send(publish('t', properties, 1, 9))
    await messagesUntil(1)
    expect(messages[0]).toMatchObject({ topic: 't', qos: 1, properties })
  })

  test('a PUBLISH without properties gives an empty object, not undefined (v5)', async () => {
    const conn = await connected()
    conn.send(hex('30 04 00 01 74 00'))
    await messagesUntil(1)
    expect(messages[0]?.properties).toEqual({})
  })

  test('control characters in a topic are tolerated (a SHOULD NOT for the sender, MQTT 5.0 §1.5.4): delivered, the link kept', async () => {
    const conn = await connected()
    conn.send(whole(0x30, hex('00 03 61 01 62'), '00', '78'))
    await messagesUntil(1)
    expect(messages[0]?.topic).toBe('a\u0001b')
    expect(client.isConnected).toBe(true)
    expect(conn.isClosed).toBe(false)
  })
})

/** Sends the bytes; the client must send DISCONNECT `reasonCode`, close, and throw an MqttError with that code. */
async function closedWith(conn: FakeConnection<5>, reasonCode: number, ...sends: Array<Uint8Array | PublishPacketV5>): Promise<MqttError> {
  for (const s of sends) conn.send(s)
  const error = await thrown(async () => {
    for (let i = 0; i < 10; i++) await client.waitMsg(300)
  })
  expect(error).toBeInstanceOf(MqttError)
  expect((error as MqttError).reasonCode, (error as MqttError).message).toBe(reasonCode)
  await withDeadline(conn.closed, 2000, 'the client to close its socket')
  expect(
    conn.log.find((p) => p.type === 'disconnect'),
    'no DISCONNECT before closing',
  ).toMatchObject({ reasonCode })
  expect(client.isConnected).toBe(false)
  expect(() => client.checkMsg()).toThrow(MqttError)
  // And the client is usable again.
  await client.connect()
  expect(client.isConnected).toBe(true)
  return error as MqttError
}

describe('hostile input: DISCONNECT with the right reason code, socket closed, typed error, no hang (MQTT 5.0 §4.13)', () => {
  test('a property length past the end of the packet: 0x81 Malformed Packet', async () => {
    const conn = await connected()
    await closedWith(conn, 0x81, hex('30 06 00 01 61 05 01 01'))
  })

  test('a property that may appear once, twice (Content Type): 0x82 Protocol Error (MQTT 5.0 §2.2.2.2)', async () => {
    const conn = await connected()
    await closedWith(conn, 0x82, whole(0x30, str('a'), props('03', str('x'), '03', str('y'))))
  })

  test('an unknown property identifier (0x7f): 0x81 Malformed Packet (MQTT 5.0 §2.2.2.2)', async () => {
    const conn = await connected()
    await closedWith(conn, 0x81, whole(0x30, str('a'), props('7f 00')))
  })

  test('a property the packet may not carry (Session Expiry Interval in a PUBLISH): 0x81', async () => {
    const conn = await connected()
    await closedWith(conn, 0x81, whole(0x30, str('a'), props('11 00 00 00 01')))
  })

  test("a PUBLISH over the client's own maximumPacketSize: 0x95 Packet Too Large [MQTT-3.1.2-24]", async () => {
    const conn = await connected({ properties: { maximumPacketSize: 100 } })
    const error = await closedWith(conn, 0x95, publish('t', {}, 0), whole(0x30, str('t'), '00', new Uint8Array(200)))
    expect(error.message).toContain('100')
    expect(messages.map((m) => m.topic)).toEqual(['t'])
  })

  test("more unacknowledged QoS 2 PUBLISHes than the client's receiveMaximum: 0x93 [MQTT-3.3.4-9]", async () => {
    const conn = await connected({ properties: { receiveMaximum: 2 } })
    conn.send(publish('t', {}, 2, 1))
    conn.send(publish('t', {}, 2, 2))
    await messagesUntil(2)
    await conn.next('pubrec')
    await conn.next('pubrec')
    // Neither exchange is complete (no PUBREL yet): a third is one too many.
    await closedWith(conn, 0x93, publish('t', {}, 2, 3))
  })

  test('a Response Topic with a wildcard: 0x82 [MQTT-3.3.2-14]', async () => {
    const conn = await connected()
    await closedWith(conn, 0x82, whole(0x30, str('a'), props('08', str('r/#')), '61'))
  })

  test('an empty Response Topic: 0x82 [MQTT-4.7.3-1]', async () => {
    const conn = await connected()
    await closedWith(conn, 0x82, whole(0x30, str('a'), props('08 00 00'), '61'))
  })

  test('a second CONNACK: 0x82 Protocol Error', async () => {
    const conn = await connected()
    await closedWith(conn, 0x82, hex('20 03 00 00 00'))
  })

  test('an AUTH when CONNECT had no Authentication Method: 0x82 [MQTT-4.12.0-6]', async () => {
    const conn = await connected()
    await closedWith(conn, 0x82, whole(0xf0, '18', props('15', str('M'))))
  })

  test('the same malformed PUBLISH arriving one byte per write: 0x81, no hang', async () => {
    const conn = await connected()
    const bytes = hex('30 06 00 01 61 05 01 01')
    // All but the last byte, one at a time: each leaves a partial packet that checkMsg() passes over.
    for (const b of bytes.subarray(0, -1)) {
      conn.send([b])
      await new Promise((resolve) => setTimeout(resolve, 5))
      expect(client.checkMsg(), 'a partial packet blocked or was processed').toBe(0)
    }
    await closedWith(conn, 0x81, bytes.subarray(bytes.length - 1))
  })

  test('a malformed PUBLISH after good ones: the good ones are delivered first', async () => {
    const conn = await connected()
    await closedWith(conn, 0x81, cat(whole(0x30, str('ok'), '00', '61'), hex('30 06 00 01 61 05 01 01')))
    expect(messages.map((m) => m.topic)).toEqual(['ok'])
  })
})
