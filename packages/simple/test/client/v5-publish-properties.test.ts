/**
 * Properties of PUBLISH, SUBSCRIBE and UNSUBSCRIBE on MQTT 5.0, against a scripted broker over
 * real loopback TCP: written in the order of the caller's object (exact bytes), and refused
 * before sending where the standard forbids them: nothing written, no packet id taken. On MQTT
 * 3.1.1, properties are an EOPTION naming `properties`, never silently dropped.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, type ClientOptions } from '@x/simple'
import { answerWith, FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { sleep } from '@x/test-support/wait.js'
import { byteDifference, cat, hex } from '../codec/hex.js'
import { props, str, whole } from '../codec/v5/fixtures-v5.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker<4> | FakeBroker<5>
let client: MqttClient | undefined

beforeEach(() => {
  client = undefined
})

afterEach(async () => {
  await client?.disconnect()
  await broker.close()
})

async function connected(connackProperties = {}): Promise<FakeConnection<5>> {
  const b = (broker = await FakeBroker.start({ protocolVersion: 5 }))
  b.onConnection = answerWith({ properties: connackProperties })
  client = new MqttClient({ clientId: 'c1', server: b.url, protocolVersion: 5, socketTimeoutMs: 2000 } as ClientOptions)
  await client.connect()
  return b.connection()
}

const the = (): MqttClient => client as MqttClient
const same = (actual: Uint8Array, expected: Uint8Array) => expect(byteDifference(actual, expected)).toBeUndefined()

/** The request must throw an MqttError mentioning `mentions`, with no byte written; returns the error. */
async function refused(conn: FakeConnection<4> | FakeConnection<5>, request: () => Promise<unknown>, mentions: string): Promise<MqttError> {
  const before = conn.byteCount
  const error = await thrown(request)
  expect(error).toBeInstanceOf(MqttError)
  expect((error as MqttError).message).toContain(mentions)
  await sleep(50)
  expect(conn.byteCount, 'bytes written for a refused request').toBe(before)
  return error as MqttError
}

describe('properties on the wire in the caller’s order', () => {
  test('PUBLISH: the properties as listed, then the payload', async () => {
    const conn = await connected()
    const properties = {
      userProperties: { u: 'v' },
      messageExpiryInterval: 60,
      contentType: 'c',
      payloadFormatIndicator: true,
      responseTopic: 'r',
      correlationData: Uint8Array.of(7),
    }
    expect(await the().publish('t', 'x', { qos: 1, properties } as never)).toBe(1)
    const [packet, bytes] = await conn.nextBytes('publish')
    expect(packet.properties).toEqual(properties)
    same(
      bytes,
      whole(
        0x32,
        str('t'),
        '00 01',
        props(cat('26', str('u'), str('v')), '02 00 00 00 3c', cat('03', str('c')), '01 01', cat('08', str('r')), '09 00 01 07'),
        '78',
      ),
    )
  })

  test('SUBSCRIBE: options byte from noLocal, retainAsPublished, retainHandling; Subscription Identifier then user properties', async () => {
    const conn = await connected()
    const pid = await the().subscribe('a/+', {
      qos: 1,
      noLocal: true,
      retainAsPublished: true,
      retainHandling: 2,
      properties: { subscriptionIdentifier: 200, userProperties: { k: 'v' } },
    } as never)
    const [, bytes] = await conn.nextBytes('subscribe')
    // Options: QoS 1 (0x01) | No Local (0x04) | Retain As Published (0x08) | Retain Handling 2 (0x20) = 0x2d.
    same(bytes, whole(0x82, `00 0${pid}`, props('0b c8 01', cat('26', str('k'), str('v'))), str('a/+'), '2d'))
  })

  test('SUBSCRIBE without options or properties: options byte = QoS, property length 0', async () => {
    const conn = await connected()
    await the().subscribe('a', { qos: 2 })
    same((await conn.nextBytes('subscribe'))[1], hex('82 07 00 01 00 00 01 61 02'))
  })

  test('UNSUBSCRIBE with user properties', async () => {
    const conn = await connected()
    await the().unsubscribe('a', { properties: { userProperties: { k: 'v' } } } as never)
    same((await conn.nextBytes('unsubscribe'))[1], whole(0xa2, '00 01', props(cat('26', str('k'), str('v'))), str('a')))
  })
})

describe('PUBLISH properties refused before sending: nothing written, no packet id taken', () => {
  test('a Subscription Identifier on a PUBLISH from a client [MQTT-3.3.4-6]', async () => {
    const conn = await connected()
    await refused(conn, () => the().publish('t', 'x', { qos: 1, properties: { subscriptionIdentifier: 1 } } as never), 'MQTT-3.3.4-6')
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })

  test('payloadFormatIndicator true with a payload that is not UTF-8 (MQTT 5.0 §3.3.2.3.2)', async () => {
    const conn = await connected()
    const error = await refused(
      conn,
      () => the().publish('t', Uint8Array.of(0x61, 0xff, 0xfe), { qos: 1, properties: { payloadFormatIndicator: true } } as never),
      'UTF-8',
    )
    expect(error.message).toMatch(/payloadFormatIndicator|Payload Format/)
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })

  test('payloadFormatIndicator true with UTF-8 text goes out with 01 01', async () => {
    const conn = await connected()
    await the().publish('t', 'h\u00e9', { properties: { payloadFormatIndicator: true } } as never)
    same((await conn.nextBytes('publish'))[1], whole(0x30, str('t'), props('01 01'), ' 68 c3 a9'))
  })

  test('a Response Topic with a wildcard [MQTT-3.3.2-14]', async () => {
    const conn = await connected()
    await refused(conn, () => the().publish('t', 'x', { qos: 1, properties: { responseTopic: 'r/#' } } as never), 'MQTT-3.3.2-14')
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })

  test("an explicit Topic Alias above the broker's Topic Alias Maximum [MQTT-3.3.2-9]", async () => {
    const conn = await connected({ topicAliasMaximum: 2 })
    await refused(conn, () => the().publish('t', 'x', { qos: 1, properties: { topicAlias: 3 } } as never), '3')
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })

  test('an unknown property name is EOPTION naming it', async () => {
    const conn = await connected()
    const error = await refused(
      conn,
      () => the().publish('t', 'x', { qos: 1, properties: { sessionExpiryInterval: 5 } } as never),
      'sessionExpiryInterval',
    )
    expect(error.code).toBe('EOPTION')
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })
})

describe('CONNECT and will properties checked before sending', () => {
  test('a property CONNECT may not carry (topicAlias) is EOPTION naming it, before a CONNECT is sent', async () => {
    const b = (broker = await FakeBroker.start({ protocolVersion: 5 }))
    b.onConnection = answerWith({})
    const error = await thrown(async () => {
      client = new MqttClient({ clientId: 'c1', server: b.url, protocolVersion: 5, properties: { topicAlias: 1 } } as never)
      await client.connect()
    })
    expect(error).toMatchObject({ code: 'EOPTION', message: expect.stringContaining('topicAlias') })
    await sleep(50)
    expect(b.connections.flatMap((conn) => conn.log.filter((p) => p.type === 'connect'))).toEqual([])
  })

  test('a will with payloadFormatIndicator true and a payload that is not UTF-8: refused, no CONNECT sent', async () => {
    const b = (broker = await FakeBroker.start({ protocolVersion: 5 }))
    b.onConnection = answerWith({})
    client = new MqttClient({ clientId: 'c1', server: b.url, protocolVersion: 5, socketTimeoutMs: 2000 } as ClientOptions)
    const c = client
    const error = await thrown(async () => {
      c.setLastWill('w', Uint8Array.of(0xff, 0xfe), { properties: { payloadFormatIndicator: true } } as never)
      await c.connect()
    })
    expect(error).toBeInstanceOf(MqttError)
    await sleep(50)
    expect(b.connections.flatMap((conn) => conn.log.filter((p) => p.type === 'connect'))).toEqual([])
  })
})

describe('properties on MQTT 3.1.1 are an EOPTION naming `properties`', () => {
  test('the CONNECT properties option with protocolVersion 4 is refused by the constructor', () => {
    const make = () =>
      new MqttClient({
        clientId: 'c1',
        server: 'mqtt://127.0.0.1:1',
        protocolVersion: 4,
        properties: { sessionExpiryInterval: 5 },
      } as ClientOptions)
    expect(make).toThrow(MqttError)
    expect(make).toThrow(expect.objectContaining({ code: 'EOPTION', message: expect.stringContaining('properties') }))
  })

  test('publish(…, { properties }) on a 3.1.1 connection: EOPTION, nothing written, no pid taken', async () => {
    const b = (broker = await FakeBroker.start<4>())
    client = new MqttClient({ clientId: 'c1', server: b.url, socketTimeoutMs: 2000 })
    await client.connect()
    const conn = await b.connection()
    const error = await refused(conn, () => the().publish('t', 'x', { qos: 1, properties: { contentType: 'c' } } as never), 'properties')
    expect(error.code).toBe('EOPTION')
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })

  test('subscribe(…, { properties }) on a 3.1.1 connection: EOPTION, nothing written', async () => {
    const b = (broker = await FakeBroker.start<4>())
    client = new MqttClient({ clientId: 'c1', server: b.url, socketTimeoutMs: 2000 })
    await client.connect()
    const conn = await b.connection()
    const error = await refused(conn, () => the().subscribe('a', { properties: { subscriptionIdentifier: 1 } } as never), 'properties')
    expect(error.code).toBe('EOPTION')
  })

  test('protocolVersion 3 is an EOPTION naming protocolVersion', () => {
    expect(() => new MqttClient({ clientId: 'c1', server: 'mqtt://127.0.0.1:1', protocolVersion: 3 } as never)).toThrow(
      expect.objectContaining({ code: 'EOPTION', message: expect.stringContaining('protocolVersion') }),
    )
  })
})
