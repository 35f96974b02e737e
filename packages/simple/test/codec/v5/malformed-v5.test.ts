/**
 * Hostile MQTT 5.0 input: each case ends in an MqttError of the right code, citing the rule,
 * with `reasonCode` the DISCONNECT the receiver must send (0x81 Malformed Packet, 0x82 Protocol
 * Error, 0x94 Topic Alias invalid, 0x95 Packet Too Large), the same whether the bytes come whole
 * or one at a time, and only after the good packets before it were yielded.
 */
import { describe, expect, test } from 'vitest'
import { fromClientV5, fromServerV5, PacketDecoderV5, type PacketV5 } from '@x/simple/codec'
import { isMqttError, type ErrorCode } from '@x/errno'
import { cat, hex } from '../hex.js'
import { bytewise, decodeUntilError } from '../round-trips.js'
import { MQTT5, props, str, whole } from './fixtures-v5.js'

interface Case {
  name: string
  bytes: Uint8Array
  reasonCode: number
  /** A rule id or section the message must cite. */
  rule: string
  code?: ErrorCode
  maxPacketBytes?: number
}

const run = (direction: 'server' | 'client', chunks: Uint8Array[], maxPacketBytes?: number) =>
  decodeUntilError(new PacketDecoderV5<PacketV5>(direction === 'server' ? fromServerV5 : fromClientV5, maxPacketBytes), chunks)

function expectRefused(error: unknown, c: Case): void {
  expect(isMqttError(error), `not an MqttError: ${String(error)}`).toBe(true)
  if (!isMqttError(error)) return
  expect((error as { reasonCode?: number }).reasonCode, error.message).toBe(c.reasonCode)
  expect(error.code).toBe(c.code ?? 'EMALFORMED')
  expect(error.message).toContain(c.rule)
}

function checkCases(direction: 'server' | 'client', cases: Case[]): void {
  const good = direction === 'server' ? hex('d0 00') : hex('c0 00')
  for (const c of cases)
    test(c.name, () => {
      const once = run(direction, [c.bytes], c.maxPacketBytes)
      expectRefused(once.error, c)
      expect(once.packets).toEqual([])
      expectRefused(run(direction, bytewise(c.bytes), c.maxPacketBytes).error, c)
      const after = run(direction, [cat(good, c.bytes)], c.maxPacketBytes)
      expectRefused(after.error, c)
      expect(after.packets).toHaveLength(1)
    })
}

/** A QoS 0 PUBLISH to "t" with the given property block. */
const publishWith = (...parts: Array<string | Uint8Array>) => whole(0x30, str('t'), props(...parts), 'aa')
const connackWith = (...parts: Array<string | Uint8Array>) => whole(0x20, '00 00', props(...parts))
const connectWith = (...parts: Array<string | Uint8Array>) => whole(0x10, MQTT5, '02 00 3c', props(...parts), str('c'))
const M = 0x81
const P = 0x82
const CONNACK = 'ECONLENGTH'

describe('properties (MQTT 5.0 §2.2.2)', () => {
  checkCases('server', [
    { name: 'an unknown property identifier 0x04', bytes: publishWith('04 00'), reasonCode: M, rule: '§2.2.2.2' },
    { name: 'an unknown property identifier 0x7f', bytes: publishWith('7f'), reasonCode: M, rule: '§2.2.2.2' },
    { name: 'a property identifier over 4 bytes', bytes: publishWith('ff ff ff ff 01'), reasonCode: M, rule: '[MQTT-1.5.5]' },
    {
      name: 'Session Expiry Interval in a PUBLISH (not allowed there)',
      bytes: publishWith('11 00 00 00 01'),
      reasonCode: M,
      rule: '§2.2.2.2',
    },
    {
      name: 'Topic Alias in a CONNACK (not allowed there)',
      bytes: connackWith('23 00 01'),
      reasonCode: M,
      rule: '§2.2.2.2',
      code: CONNACK,
    },
    { name: 'Reason String in a PUBLISH', bytes: publishWith('1f', str('x')), reasonCode: M, rule: '§2.2.2.2' },
    { name: 'Will Delay Interval in a DISCONNECT', bytes: whole(0xe0, '00', props('18 00 00 00 01')), reasonCode: M, rule: '§2.2.2.2' },
    { name: 'Message Expiry Interval twice', bytes: publishWith('02 00 00 00 01 02 00 00 00 02'), reasonCode: P, rule: '§3.3.2.3.3' },
    { name: 'Topic Alias twice', bytes: publishWith('23 00 01 23 00 02'), reasonCode: P, rule: '§3.3.2.3.4' },
    {
      name: 'Reason String twice in a PUBACK',
      bytes: whole(0x40, '00 01 00', props('1f', str('a'), '1f', str('b'))),
      reasonCode: P,
      rule: 'twice',
    },
    {
      name: 'Receive Maximum twice in a CONNACK',
      bytes: connackWith('21 00 01 21 00 01'),
      reasonCode: P,
      rule: '§3.2.2.3.3',
      code: CONNACK,
    },
    { name: 'Receive Maximum 0', bytes: connackWith('21 00 00'), reasonCode: P, rule: '§3.2.2.3.3', code: CONNACK },
    { name: 'Maximum Packet Size 0', bytes: connackWith('27 00 00 00 00'), reasonCode: P, rule: '§3.2.2.3.6', code: CONNACK },
    { name: 'Maximum QoS 2', bytes: connackWith('24 02'), reasonCode: P, rule: '§3.2.2.3.4', code: CONNACK },
    { name: 'Retain Available 2', bytes: connackWith('25 02'), reasonCode: P, rule: '§3.2.2.3.5', code: CONNACK },
    { name: 'Wildcard Subscription Available 0xff', bytes: connackWith('28 ff'), reasonCode: P, rule: '§3.2.2.3.11', code: CONNACK },
    { name: 'Subscription Identifiers Available 2', bytes: connackWith('29 02'), reasonCode: P, rule: '§3.2.2.3.12', code: CONNACK },
    { name: 'Shared Subscription Available 2', bytes: connackWith('2a 02'), reasonCode: P, rule: '§3.2.2.3.13', code: CONNACK },
    { name: 'Payload Format Indicator 2', bytes: publishWith('01 02'), reasonCode: P, rule: '§3.3.2.3.2' },
    { name: 'Topic Alias 0 [MQTT-3.3.2-8]', bytes: publishWith('23 00 00'), reasonCode: 0x94, rule: '[MQTT-3.3.2-8]' },
    { name: 'Subscription Identifier 0', bytes: publishWith('0b 00'), reasonCode: P, rule: '§3.8.2.1.2' },
    { name: 'a Subscription Identifier over 4 bytes', bytes: publishWith('0b 80 80 80 80 01'), reasonCode: M, rule: '[MQTT-1.5.5]' },
    {
      name: 'Response Topic with a wildcard [MQTT-3.3.2-14]',
      bytes: publishWith('08', str('r/#')),
      reasonCode: P,
      rule: '[MQTT-3.3.2-14]',
    },
    { name: 'an empty Response Topic [MQTT-4.7.3-1]', bytes: publishWith('08 00 00'), reasonCode: P, rule: '[MQTT-4.7.3-1]' },
    {
      name: 'Content Type of ill-formed UTF-8 [MQTT-1.5.4-1]',
      bytes: publishWith('03 00 02 c3 28'),
      reasonCode: M,
      rule: '[MQTT-1.5.4-1]',
    },
    {
      name: 'Reason String with an encoded surrogate [MQTT-1.5.4-1]',
      bytes: connackWith('1f 00 03 ed a0 80'),
      reasonCode: M,
      rule: '[MQTT-1.5.4-1]',
      code: CONNACK,
    },
    {
      name: 'a user property name with U+0000 [MQTT-1.5.4-2]',
      bytes: publishWith('26 00 01 00 00 00'),
      reasonCode: M,
      rule: '[MQTT-1.5.4-2]',
    },
    {
      name: 'a user property value of ill-formed UTF-8',
      bytes: publishWith('26 00 01 61 00 01 ff'),
      reasonCode: M,
      rule: '[MQTT-1.5.4-1]',
    },
    { name: 'a user property with no value', bytes: publishWith('26 00 01 61'), reasonCode: M, rule: 'runs past', code: 'EREADLEN' },
    {
      name: 'a string property running past the property length',
      bytes: whole(0x30, str('t'), '04 03 00 05 61 62 63 64 65'),
      reasonCode: M,
      rule: 'runs past',
      code: 'EREADLEN',
    },
    {
      name: 'a Four Byte Integer cut short by the property length',
      bytes: whole(0x30, str('t'), '03 02 00 00 00 00'),
      reasonCode: M,
      rule: 'runs past',
      code: 'EREADLEN',
    },
    { name: 'a property length past the packet', bytes: whole(0x30, str('t'), '09 01 01'), reasonCode: M, rule: '§2.2.2.1' },
    { name: 'a property length over 4 bytes', bytes: whole(0x30, str('t'), 'ff ff ff ff 01'), reasonCode: M, rule: '[MQTT-1.5.5]' },
    {
      name: 'binary data running past the properties',
      bytes: publishWith('09 00 09 01'),
      reasonCode: M,
      rule: 'runs past',
      code: 'EREADLEN',
    },
  ])
})

describe('what a client receives', () => {
  checkCases('server', [
    { name: 'PUBLISH with QoS 3 [MQTT-3.3.1-4]', bytes: whole(0x36, str('t'), '00 01 00'), reasonCode: M, rule: '[MQTT-3.3.1-4]' },
    { name: 'PUBLISH with a wildcard topic [MQTT-3.3.2-2]', bytes: whole(0x30, str('a/+'), '00'), reasonCode: P, rule: '[MQTT-3.3.2-2]' },
    { name: 'PUBLISH with an empty topic and no Topic Alias', bytes: whole(0x30, '00 00 00'), reasonCode: P, rule: '§3.3.2.3.4' },
    {
      name: 'PUBLISH QoS 1 with packet id 0 [MQTT-2.2.1-4]',
      bytes: whole(0x32, str('t'), '00 00 00'),
      reasonCode: M,
      rule: '[MQTT-2.2.1-4]',
    },
    { name: 'PUBLISH without a property length', bytes: whole(0x30, str('t')), reasonCode: M, rule: 'runs past', code: 'EREADLEN' },
    { name: 'PUBLISH topic of ill-formed UTF-8', bytes: whole(0x30, '00 01 ff 00'), reasonCode: M, rule: '[MQTT-1.5.4-1]' },
    {
      name: 'CONNACK with reserved flags [MQTT-3.2.2-1]',
      bytes: hex('20 03 02 00 00'),
      reasonCode: M,
      rule: '[MQTT-3.2.2-1]',
      code: CONNACK,
    },
    {
      name: 'CONNACK refusing yet session present [MQTT-3.2.2-6]',
      bytes: hex('20 03 01 87 00'),
      reasonCode: P,
      rule: '[MQTT-3.2.2-6]',
      code: CONNACK,
    },
    {
      name: 'CONNACK with reason code 0x01, not a v5 CONNACK code [MQTT-3.2.2-8]',
      bytes: hex('20 03 00 01 00'),
      reasonCode: P,
      rule: '[MQTT-3.2.2-8]',
      code: CONNACK,
    },
    {
      name: 'CONNACK with reason code 0x8b [MQTT-3.2.2-8]',
      bytes: hex('20 03 00 8b 00'),
      reasonCode: P,
      rule: '[MQTT-3.2.2-8]',
      code: CONNACK,
    },
    { name: 'CONNACK without a property length', bytes: hex('20 02 00 00'), reasonCode: M, rule: 'runs past', code: CONNACK },
    {
      name: "a 3.1.1 broker's CONNACK 1: it does not speak MQTT 5.0",
      bytes: hex('20 02 00 01'),
      reasonCode: 0x84,
      rule: 'does not speak MQTT 5.0',
      code: 'ECONPROTOCOL',
    },
    {
      name: 'PUBACK with reason code 0x92, not a PUBACK code [MQTT-3.4.2-1]',
      bytes: hex('40 03 00 01 92'),
      reasonCode: P,
      rule: '[MQTT-3.4.2-1]',
    },
    { name: 'PUBREC with reason code 0x01 [MQTT-3.5.2-1]', bytes: hex('50 03 00 01 01'), reasonCode: P, rule: '[MQTT-3.5.2-1]' },
    { name: 'PUBREL with reason code 0x80 [MQTT-3.6.2-1]', bytes: hex('62 03 00 01 80'), reasonCode: P, rule: '[MQTT-3.6.2-1]' },
    { name: 'PUBCOMP with reason code 0x97 [MQTT-3.7.2-1]', bytes: hex('70 03 00 01 97'), reasonCode: P, rule: '[MQTT-3.7.2-1]' },
    { name: 'PUBACK with packet id 0 [MQTT-2.2.1-3]', bytes: hex('40 02 00 00'), reasonCode: M, rule: '[MQTT-2.2.1-3]' },
    { name: 'PUBACK with Remaining Length 1', bytes: hex('40 01 00'), reasonCode: M, rule: 'runs past', code: 'EREADLEN' },
    {
      name: 'PUBACK with a byte after its properties',
      bytes: hex('40 05 00 01 00 00 00'),
      reasonCode: M,
      rule: 'after the properties',
      code: 'EREADLEN',
    },
    {
      name: 'SUBACK with no reason codes [MQTT-3.9.3-2]',
      bytes: hex('90 03 00 01 00'),
      reasonCode: P,
      rule: '[MQTT-3.9.3-2]',
      code: 'ESUBACKUNKNOWN',
    },
    {
      name: 'SUBACK with reason code 0x03 [MQTT-3.9.3-2]',
      bytes: hex('90 04 00 01 00 03'),
      reasonCode: P,
      rule: '[MQTT-3.9.3-2]',
      code: 'ESUBACKUNKNOWN',
    },
    { name: 'UNSUBACK with reason code 0x01 [MQTT-3.11.3-2]', bytes: hex('b0 04 00 01 00 01'), reasonCode: P, rule: '[MQTT-3.11.3-2]' },
    { name: 'UNSUBACK with no reason codes [MQTT-3.11.3-2]', bytes: hex('b0 03 00 01 00'), reasonCode: P, rule: '[MQTT-3.11.3-2]' },
    { name: 'DISCONNECT with reason code 0x01 [MQTT-3.14.2-1]', bytes: hex('e0 01 01'), reasonCode: P, rule: '[MQTT-3.14.2-1]' },
    {
      name: 'DISCONNECT from the broker with a Session Expiry Interval [MQTT-3.14.2-2]',
      bytes: whole(0xe0, '00', props('11 00 00 00 01')),
      reasonCode: P,
      rule: '[MQTT-3.14.2-2]',
    },
    { name: 'AUTH with reason code 0x01 [MQTT-3.15.2-1]', bytes: hex('f0 01 01'), reasonCode: P, rule: '[MQTT-3.15.2-1]' },
    {
      name: 'AUTH with properties and no Authentication Method',
      bytes: whole(0xf0, '18', props('1f', str('x'))),
      reasonCode: P,
      rule: '§3.15.2.2.2',
    },
    { name: 'AUTH with reserved flags [MQTT-2.1.3-1]', bytes: hex('f1 00'), reasonCode: M, rule: '[MQTT-2.1.3-1]' },
    { name: 'PINGRESP with a byte', bytes: hex('d0 01 00'), reasonCode: M, rule: 'not 0', code: 'EREADLEN' },
    { name: 'SUBSCRIBE from the broker', bytes: hex('82 06 00 01 00 00 01 61'), reasonCode: P, rule: '§2.1.2', code: 'ERESPONSE' },
    { name: 'reserved packet type 0', bytes: hex('00 00'), reasonCode: M, rule: '§2.1.2' },
    { name: 'a Remaining Length over 4 bytes', bytes: hex('30 ff ff ff ff 7f'), reasonCode: M, rule: '§1.5.5' },
    {
      name: 'a PUBLISH over maxPacketBytes: Packet Too Large [MQTT-3.1.2-24]',
      bytes: hex('30 80 20'),
      reasonCode: 0x95,
      rule: '4096',
      code: 'EOVERSIZE',
      maxPacketBytes: 4096,
    },
  ])
})

describe('what a broker receives', () => {
  checkCases('client', [
    {
      name: 'CONNECT at protocol version 4 [MQTT-3.1.2-2]',
      bytes: whole(0x10, '00 04 4d 51 54 54 04 02 00 3c 00', str('c')),
      reasonCode: 0x84,
      rule: '[MQTT-3.1.2-2]',
    },
    {
      name: 'CONNECT with the reserved flag [MQTT-3.1.2-3]',
      bytes: whole(0x10, MQTT5, '03 00 3c 00', str('c')),
      reasonCode: M,
      rule: '[MQTT-3.1.2-3]',
    },
    {
      name: 'CONNECT with will QoS 3 [MQTT-3.1.2-12]',
      bytes: whole(0x10, MQTT5, '1e 00 3c 00', str('c'), '00', str('w'), str('p')),
      reasonCode: M,
      rule: '[MQTT-3.1.2-12]',
    },
    {
      name: 'CONNECT with will retain and no will [MQTT-3.1.2-13]',
      bytes: whole(0x10, MQTT5, '22 00 3c 00', str('c')),
      reasonCode: M,
      rule: '[MQTT-3.1.2-13]',
    },
    { name: 'CONNECT with Authentication Data and no Method', bytes: connectWith('16 00 01 01'), reasonCode: P, rule: '§3.1.2.11.10' },
    { name: 'CONNECT with Receive Maximum 0', bytes: connectWith('21 00 00'), reasonCode: P, rule: '§3.1.2.11.3' },
    { name: 'CONNECT with Request Problem Information 2', bytes: connectWith('17 02'), reasonCode: P, rule: '§3.1.2.11.7' },
    { name: 'CONNECT with Request Response Information 2', bytes: connectWith('19 02'), reasonCode: P, rule: '§3.1.2.11.6' },
    {
      name: 'CONNECT with Session Expiry Interval twice',
      bytes: connectWith('11 00 00 00 01 11 00 00 00 01'),
      reasonCode: P,
      rule: 'twice',
    },
    {
      name: 'CONNECT with a will property in the CONNECT properties',
      bytes: connectWith('18 00 00 00 01'),
      reasonCode: M,
      rule: '§2.2.2.2',
    },
    {
      name: 'CONNECT with a CONNECT property in the will properties',
      bytes: whole(0x10, MQTT5, '06 00 3c 00', str('c'), props('11 00 00 00 01'), str('w'), str('p')),
      reasonCode: M,
      rule: '§2.2.2.2',
    },
    {
      name: 'CONNECT with bytes after the password',
      bytes: whole(0x10, MQTT5, '42 00 3c 00', str('c'), str('p'), '00'),
      reasonCode: M,
      rule: 'after the last field',
      code: 'EREADLEN',
    },
    {
      name: 'PUBLISH from a client with a Subscription Identifier [MQTT-3.3.4-6]',
      bytes: publishWith('0b 01'),
      reasonCode: P,
      rule: '[MQTT-3.3.4-6]',
    },
    {
      name: 'PUBLISH from a client with two Subscription Identifiers',
      bytes: publishWith('0b 01 0b 02'),
      reasonCode: P,
      rule: '[MQTT-3.3.4-6]',
    },
    { name: 'SUBSCRIBE with no filters [MQTT-3.8.3-2]', bytes: hex('82 03 00 01 00'), reasonCode: P, rule: '[MQTT-3.8.3-2]' },
    {
      name: 'SUBSCRIBE with reserved option bits [MQTT-3.8.3-5]',
      bytes: whole(0x82, '00 01 00', str('a'), '40'),
      reasonCode: M,
      rule: '[MQTT-3.8.3-5]',
    },
    { name: 'SUBSCRIBE with QoS 3', bytes: whole(0x82, '00 01 00', str('a'), '03'), reasonCode: P, rule: '§3.8.3.1' },
    { name: 'SUBSCRIBE with Retain Handling 3', bytes: whole(0x82, '00 01 00', str('a'), '30'), reasonCode: P, rule: '§3.8.3.1' },
    {
      name: 'SUBSCRIBE with No Local on a shared subscription [MQTT-3.8.3-4]',
      bytes: whole(0x82, '00 01 00', str('$share/g/a'), '04'),
      reasonCode: P,
      rule: '[MQTT-3.8.3-4]',
    },
    {
      name: 'SUBSCRIBE with Subscription Identifier twice',
      bytes: whole(0x82, '00 01', props('0b 01 0b 02'), str('a'), '00'),
      reasonCode: P,
      rule: '§3.8.2.1.2',
    },
    {
      name: 'SUBSCRIBE with a filter and no options byte',
      bytes: whole(0x82, '00 01 00', str('a')),
      reasonCode: M,
      rule: 'runs past',
      code: 'EREADLEN',
    },
    { name: 'UNSUBSCRIBE with no filters [MQTT-3.10.3-2]', bytes: hex('a2 03 00 01 00'), reasonCode: P, rule: '[MQTT-3.10.3-2]' },
    {
      name: 'DISCONNECT with a Reason String cut short',
      bytes: whole(0xe0, '00', props('1f')),
      reasonCode: M,
      rule: 'runs past',
      code: 'EREADLEN',
    },
    { name: 'CONNACK from a client', bytes: hex('20 03 00 00 00'), reasonCode: P, rule: '§2.1.2', code: 'ERESPONSE' },
  ])
})
