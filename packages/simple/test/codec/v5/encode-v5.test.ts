/**
 * What encodeV5() writes and refuses: exactly the properties given, in the caller's order, and
 * nothing else; bad arguments are an MqttError naming the property and the rule, before any byte.
 */
import { describe, expect, test } from 'vitest'
import { encodeV5, type PacketV5 } from '@x/simple/codec'
import { isMqttError, type ErrorCode } from '@x/errno'
import { byteDifference, hex } from '../hex.js'
import { MQTT5, props, str, whole } from './fixtures-v5.js'

const connect = (properties: object): PacketV5 => ({ type: 'connect', clientId: 'c', cleanStart: true, keepaliveSec: 0, properties })
const publish = (properties: object): PacketV5 => ({
  type: 'publish',
  topic: 't',
  payload: new Uint8Array(0),
  qos: 0,
  retain: false,
  dup: false,
  properties,
})

describe("properties in the order of the caller's object, as mqtt-packet writes them (CONTRACT §6)", () => {
  test('the same properties in two orders give two byte strings, each in its order', () => {
    const a = encodeV5(connect({ sessionExpiryInterval: 1, receiveMaximum: 2 }))
    const b = encodeV5(connect({ receiveMaximum: 2, sessionExpiryInterval: 1 }))
    expect(byteDifference(a, whole(0x10, MQTT5, '02 00 00', props('11 00 00 00 01 21 00 02'), str('c')))).toBeUndefined()
    expect(byteDifference(b, whole(0x10, MQTT5, '02 00 00', props('21 00 02 11 00 00 00 01'), str('c')))).toBeUndefined()
  })

  test('user properties as pairs in order, an array value as repeated pairs, between the others where listed', () => {
    const bytes = encodeV5(publish({ contentType: 'a', userProperties: { z: ['1', '2'], y: '3' }, messageExpiryInterval: 9 }))
    const expected = whole(
      0x30,
      str('t'),
      props('03', str('a'), '26', str('z'), str('1'), '26', str('z'), str('2'), '26', str('y'), str('3'), '02 00 00 00 09'),
    )
    expect(byteDifference(bytes, expected)).toBeUndefined()
  })

  test('no properties and undefined ones write a property length of 0', () => {
    const none = whole(0x10, MQTT5, '02 00 00 00', str('c'))
    expect(byteDifference(encodeV5(connect({})), none)).toBeUndefined()
    expect(byteDifference(encodeV5(connect({ sessionExpiryInterval: undefined })), none)).toBeUndefined()
    const { properties: _, ...bare } = connect({}) as { properties: object }
    expect(byteDifference(encodeV5(bare as PacketV5), none)).toBeUndefined()
  })

  test('reason code 0 with an empty properties object is left out as with none (MQTT 5.0 §3.4.2.1, §3.14.2.1)', () => {
    expect(byteDifference(encodeV5({ type: 'puback', pid: 1, properties: {} }), hex('40 02 00 01'))).toBeUndefined()
    expect(
      byteDifference(encodeV5({ type: 'disconnect', properties: { reasonString: undefined } as object } as PacketV5), hex('e0 00')),
    ).toBeUndefined()
    expect(byteDifference(encodeV5({ type: 'disconnect', reasonCode: 0x04 }), hex('e0 01 04'))).toBeUndefined()
    expect(byteDifference(encodeV5({ type: 'auth', reasonCode: 0 }), hex('f0 00'))).toBeUndefined()
    expect(byteDifference(encodeV5({ type: 'pubrel', pid: 2, reasonCode: 0x92 }), hex('62 03 00 02 92'))).toBeUndefined()
    expect(
      byteDifference(
        encodeV5({ type: 'puback', pid: 1, reasonCode: 0, properties: { reasonString: '' } }),
        hex('40 07 00 01 00 03 1f 00 00'),
      ),
    ).toBeUndefined()
  })
})

describe('refused before a byte is sent', () => {
  const cases: Array<[name: string, packet: PacketV5, code: ErrorCode, says: RegExp]> = [
    ['an unknown property', publish({ colour: 'red' }), 'EOPTION', /colour.*§2\.2\.2\.2/],
    ['a property the packet may not carry', connect({ topicAlias: 1 }), 'EOPTION', /topicAlias.*CONNECT.*§2\.2\.2\.2/],
    ['a will property among the CONNECT properties', connect({ willDelayInterval: 1 }), 'EOPTION', /willDelayInterval/],
    ['a list for a property that may appear once', connect({ sessionExpiryInterval: [1, 2] }), 'EOPTION', /only once/],
    [
      'two Subscription Identifiers in a SUBSCRIBE',
      { type: 'subscribe', pid: 1, subscriptions: [{ filter: 'a', qos: 0 }], properties: { subscriptionIdentifier: [1, 2] } },
      'EOPTION',
      /only once/,
    ],
    ['Topic Alias 0 [MQTT-3.3.2-8]', publish({ topicAlias: 0 }), 'EOPTION', /\[MQTT-3\.3\.2-8\]/],
    ['Receive Maximum 0', connect({ receiveMaximum: 0 }), 'EOPTION', /Receive Maximum 0/],
    ['Maximum Packet Size 0', connect({ maximumPacketSize: 0 }), 'EOPTION', /Maximum Packet Size 0/],
    ['Subscription Identifier 0', publish({ subscriptionIdentifier: 0 }), 'EOPTION', /Subscription Identifier 0/],
    ['a Subscription Identifier over 268,435,455', publish({ subscriptionIdentifier: 268_435_456 }), 'EOPTION', /268435455/],
    ['a Two Byte Integer over 65,535', connect({ receiveMaximum: 65_536 }), 'EOPTION', /65535/],
    ['a Four Byte Integer that is not an integer', connect({ sessionExpiryInterval: 1.5 }), 'EOPTION', /integer/],
    ['a negative interval', publish({ messageExpiryInterval: -1 }), 'EOPTION', /integer/],
    ['a number for a flag', publish({ payloadFormatIndicator: 1 }), 'EOPTION', /true or false/],
    ['a string for binary data', publish({ correlationData: 'abc' }), 'EOPTION', /Uint8Array/],
    ['a string with U+0000 [MQTT-1.5.4-2]', publish({ contentType: 'a\0' }), 'EOPTION', /\[MQTT-1\.5\.4-2\]/],
    ['a string with a lone surrogate [MQTT-1.5.4-1]', publish({ contentType: '\ud800' }), 'EOPTION', /\[MQTT-1\.5\.4-1\]/],
    ['a Response Topic with a wildcard [MQTT-3.3.2-14]', publish({ responseTopic: 'a/#' }), 'EOPTION', /\[MQTT-3\.3\.2-14\]/],
    ['a user property value that is a number', publish({ userProperties: { a: 1 } }), 'EOPTION', /not a string/],
    ['user properties that are not an object', publish({ userProperties: 'a=1' }), 'EOPTION', /object/],
    ['Maximum QoS 2', { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { maximumQoS: 2 } }, 'EOPTION', /Maximum QoS 2/],
    ['binary data over 65,535 bytes', publish({ correlationData: new Uint8Array(65_536) }), 'EOPTION', /65,535/],
    ['a PUBACK reason code 0x92 [MQTT-3.4.2-1]', { type: 'puback', pid: 1, reasonCode: 0x92 }, 'EOPTION', /\[MQTT-3\.4\.2-1\]/],
    ['a DISCONNECT reason code 0x01 [MQTT-3.14.2-1]', { type: 'disconnect', reasonCode: 1 }, 'EOPTION', /\[MQTT-3\.14\.2-1\]/],
    [
      'a CONNACK reason code 0x01 [MQTT-3.2.2-8]',
      { type: 'connack', sessionPresent: false, reasonCode: 1 },
      'EOPTION',
      /\[MQTT-3\.2\.2-8\]/,
    ],
    ['a SUBACK reason code 0x03 [MQTT-3.9.3-2]', { type: 'suback', pid: 1, reasonCodes: [3] }, 'EOPTION', /\[MQTT-3\.9\.3-2\]/],
    ['an empty topic without a Topic Alias', { ...(publish({}) as object), topic: '' } as PacketV5, 'ETOPIC', /Topic Alias/],
    [
      'Retain Handling 3',
      { type: 'subscribe', pid: 1, subscriptions: [{ filter: 'a', qos: 0, retainHandling: 3 as 2 }] },
      'EOPTION',
      /retainHandling 3/,
    ],
    ['subscription QoS 3', { type: 'subscribe', pid: 1, subscriptions: [{ filter: 'a', qos: 3 as 2 }] }, 'EQOS', /QoS 3/],
    ['a client id with U+0000', { type: 'connect', clientId: 'a\0', cleanStart: true, keepaliveSec: 0 }, 'ECLIENTID', /\[MQTT-1\.5\.4-2\]/],
  ]
  test.each(cases)('%s', (_, packet, code, says) => {
    let error: unknown
    try {
      encodeV5(packet)
    } catch (e) {
      error = e
    }
    expect(isMqttError(error), String(error)).toBe(true)
    if (!isMqttError(error)) return
    expect(error.code).toBe(code)
    expect(error.message).toMatch(says)
  })
})
