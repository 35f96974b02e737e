/**
 * The MQTT 5.0 CONNECT on the wire, byte for byte, as a scripted broker receives it over real
 * loopback TCP: minimal (a property length of 0 when there are none), the properties in the order
 * of the caller's object, the will properties, Clean Start, user name and password. Each expected
 * packet is written out by hand from MQTT 5.0 §3.1 and, where mqtt-packet can say it, checked
 * against what mqtt-packet (MQTT.js's codec) generates for the same connect.
 */
import mqttPacket from 'mqtt-packet'
import { describe, expect, test } from 'vitest'
import { MqttClient, type ClientOptions } from '@x/simple'
import { answerWith } from '@x/test-support/fake-broker.js'
import { byteDifference, cat, hex } from '../codec/hex.js'
import { MQTT5, props, str, whole } from '../codec/v5/fixtures-v5.js'
import { scriptedV5 } from '../support/v5-scripted.js'

const v5 = scriptedV5()

type Options = Partial<ClientOptions> & Record<string, unknown>

/** Connects a v5 client with these options and returns the exact bytes of its CONNECT. */
async function connectBytes(options: Options, setUp?: (c: MqttClient) => void, cleanSession = true): Promise<Uint8Array> {
  let bytes: Uint8Array | undefined
  v5.broker.onConnection = async (conn) => {
    const [connect, raw] = await conn.nextBytes('connect')
    bytes = raw
    const method = connect.properties?.authenticationMethod
    // A successful CONNACK repeats the CONNECT's Authentication Method [MQTT-4.12.0-5].
    conn.send({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: method === undefined ? {} : { authenticationMethod: method },
    })
  }
  const client = v5.newClient(options)
  setUp?.(client)
  await client.connect({ cleanSession })
  if (!bytes) throw new Error('no CONNECT recorded')
  return bytes
}

function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  const difference = byteDifference(actual, expected)
  expect(difference, difference).toBeUndefined()
}

/** What mqtt-packet writes for a v5 CONNECT (keepalive 0, as the client's default). */
function mqttPacketConnect(fields: Record<string, unknown>): Uint8Array {
  return new Uint8Array(
    mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      keepalive: 0,
      clean: true,
      clientId: 'c1',
      ...fields,
    } as never),
  )
}

/** A CONNECT of client 'c1', keepalive 0: connect flags, the property block, then the rest of the payload. */
const connect = (flags: string, properties: Uint8Array, ...payload: Array<string | Uint8Array>) =>
  whole(0x10, MQTT5, flags, '00 00', properties, str('c1'), ...payload)

describe('CONNECT bytes on MQTT 5.0 (MQTT 5.0 §3.1)', () => {
  test('without properties: a property length of 0 and nothing else (MQTT 5.0 §3.1.2.11)', async () => {
    const bytes = await connectBytes({})
    expectBytes(bytes, hex('10 0f 00 04 4d 51 54 54 05 02 00 00 00 00 02 63 31'))
    expectBytes(bytes, mqttPacketConnect({ properties: {} }))
  })

  test('properties in the order of the caller object: sessionExpiryInterval then receiveMaximum', async () => {
    const bytes = await connectBytes({ properties: { sessionExpiryInterval: 60, receiveMaximum: 10 } })
    expectBytes(bytes, connect('02', props('11 00 00 00 3c', '21 00 0a')))
    expectBytes(bytes, mqttPacketConnect({ properties: { sessionExpiryInterval: 60, receiveMaximum: 10 } }))
  })

  test('the same properties listed the other way round go out the other way round', async () => {
    const bytes = await connectBytes({ properties: { receiveMaximum: 10, sessionExpiryInterval: 60 } })
    expectBytes(bytes, connect('02', props('21 00 0a', '11 00 00 00 3c')))
    expectBytes(bytes, mqttPacketConnect({ properties: { receiveMaximum: 10, sessionExpiryInterval: 60 } }))
  })

  test('every CONNECT property, user properties with a repeated key in order, as mqtt-packet writes them', async () => {
    const properties = {
      topicAliasMaximum: 4,
      maximumPacketSize: 1000,
      requestResponseInformation: true,
      requestProblemInformation: false,
      userProperties: { a: ['1', '2'], b: '3' },
      sessionExpiryInterval: 0xffffffff,
      receiveMaximum: 20,
      authenticationMethod: 'M',
      authenticationData: Uint8Array.of(0xde, 0xad),
    }
    const bytes = await connectBytes({ properties, onAuth: () => new Uint8Array() })
    const expected = connect(
      '02',
      props(
        '22 00 04',
        '27 00 00 03 e8',
        '19 01',
        '17 00',
        cat('26', str('a'), str('1'), '26', str('a'), str('2'), '26', str('b'), str('3')),
        '11 ff ff ff ff',
        '21 00 14',
        cat('15', str('M')),
        '16 00 02 de ad',
      ),
    )
    expectBytes(bytes, expected)
    expectBytes(bytes, mqttPacketConnect({ properties: { ...properties, authenticationData: Buffer.from([0xde, 0xad]) } }))
  })

  test('a will with properties: Will Flag, QoS and Retain in the flags, Will Properties before the will topic (MQTT 5.0 §3.1.3.2)', async () => {
    const bytes = await connectBytes({}, (c) =>
      c.setLastWill('w', 'bye', { qos: 1, retain: true, properties: { willDelayInterval: 5, contentType: 't' } } as never),
    )
    // 0x2e: Will Retain 0x20, Will QoS 1 0x08, Will Flag 0x04, Clean Start 0x02.
    expectBytes(bytes, connect('2e', props(''), props('18 00 00 00 05', cat('03', str('t'))), str('w'), str('bye')))
    expectBytes(
      bytes,
      mqttPacketConnect({
        properties: {},
        will: { topic: 'w', payload: Buffer.from('bye'), qos: 1, retain: true, properties: { willDelayInterval: 5, contentType: 't' } },
      }),
    )
  })

  test('a will without properties has a will property length of 0', async () => {
    const bytes = await connectBytes({}, (c) => c.setLastWill('w', 'x'))
    expectBytes(bytes, connect('06', props(''), '00', str('w'), str('x')))
  })

  test('cleanSession: false is Clean Start 0 [MQTT-3.1.2-4]', async () => {
    const bytes = await connectBytes({}, undefined, false)
    expectBytes(bytes, connect('00', props('')))
    expectBytes(bytes, mqttPacketConnect({ clean: false, properties: {} }))
  })

  test('cleanSession: true (the default) is Clean Start 1 [MQTT-3.1.2-4]', async () => {
    expect((await connectBytes({}))[9]).toBe(0x02)
  })

  test('user name and password: flags 0xc0, after the client id (MQTT 5.0 §3.1.3.5, §3.1.3.6)', async () => {
    const bytes = await connectBytes({ user: 'u', password: 'p' })
    expectBytes(bytes, connect('c2', props(''), str('u'), str('p')))
    expectBytes(bytes, mqttPacketConnect({ properties: {}, username: 'u', password: Buffer.from('p') }))
  })

  test('a password without a user name is allowed on MQTT 5.0 (MQTT 5.0 §3.1.2.9), unlike 3.1.1', async () => {
    const bytes = await connectBytes({ password: 'p' })
    expectBytes(bytes, connect('42', props(''), str('p')))
  })

  test('an empty client id with Clean Start goes out as a zero-length string (MQTT 5.0 §3.1.3.1)', async () => {
    const bytes = await connectBytes({ clientId: '' })
    expectBytes(bytes, whole(0x10, MQTT5, '02 00 00', props(''), '00 00'))
  })

  test('keepaliveSec goes out as the Keep Alive (MQTT 5.0 §3.1.2.10)', async () => {
    const bytes = await connectBytes({ keepaliveSec: 300 })
    expectBytes(bytes, whole(0x10, MQTT5, '02 01 2c', props(''), str('c1')))
    expectBytes(bytes, mqttPacketConnect({ keepalive: 300, properties: {} }))
  })
})

describe('what the CONNACK says is kept', () => {
  test('client.connack holds sessionPresent, reasonCode and the CONNACK properties as received', async () => {
    v5.broker.onConnection = answerWith({ sessionPresent: false, properties: { receiveMaximum: 7, userProperties: { k: 'v' } } })
    v5.client = new MqttClient({ clientId: 'c1', server: v5.broker.url, protocolVersion: 5 } as ClientOptions)
    expect(v5.client.connack).toBeUndefined()
    expect(await v5.client.connect()).toBe(false)
    const { sessionPresent, reasonCode, properties } = v5.client.connack ?? {}
    expect({ sessionPresent, reasonCode, properties }).toEqual({
      sessionPresent: false,
      reasonCode: 0,
      properties: { receiveMaximum: 7, userProperties: { k: 'v' } },
    })
  })

  test('connect() resolves sessionPresent true when the CONNACK says so', async () => {
    v5.broker.onConnection = answerWith({ sessionPresent: true })
    v5.client = new MqttClient({ clientId: 'c1', server: v5.broker.url, protocolVersion: 5 } as ClientOptions)
    expect(await v5.client.connect({ cleanSession: false })).toBe(true)
    expect(v5.client.connack?.sessionPresent).toBe(true)
  })
})
