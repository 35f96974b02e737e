/**
 * Hostile input: "Inbound bytes are never trusted" (CONTRACT §2). Each case must end in an
 * MqttError with the right code and a message naming the rule it breaks, the same whether the
 * bytes come whole or one at a time, and only after the good packets before it were yielded.
 */
import { describe, expect, test } from 'vitest'
import { fromClient, fromServer, isMqttError, MqttPayload, PacketDecoder, type ErrorCode, type Packet } from '@x/simple'
import { fingerprint } from './comparable.js'
import { fixturesFrom, type Fixture } from './fixtures.js'
import { ascii, cat, hex, pattern, toHex } from './hex.js'
import { bytewise, decodeUntilError } from './round-trips.js'

interface Case {
  name: string
  bytes: Uint8Array
  /** The code expected; a list when the standard leaves the choice open. */
  code: ErrorCode | readonly ErrorCode[]
  /** A rule id such as 'MQTT-3.3.1-4' the message must cite (any one of a list). */
  rule?: string | readonly string[]
  /** What the message must say where the standard numbers no rule. */
  says?: RegExp
  maxPacketBytes?: number
  /** The first byte alone must be refused: type and flags are checked before anything else. */
  firstByteFails?: true
}

interface Outcome {
  packets: Packet[]
  error: unknown
}

const run = (direction: Fixture['direction'], chunks: Uint8Array[], maxPacketBytes?: number): Outcome =>
  decodeUntilError(new PacketDecoder<Packet>(direction === 'server' ? fromServer : fromClient, maxPacketBytes), chunks)

/** Checks an outcome against a case: an MqttError of the right code citing the rule. */
function expectRefused(outcome: Outcome, c: Case): void {
  const { error } = outcome
  expect(isMqttError(error), `not an MqttError: ${String(error)}`).toBe(true)
  if (!isMqttError(error)) return
  expect(error.name).toBe('MqttError')
  expect(typeof error.errno).toBe('number')
  expect([c.code].flat()).toContain(error.code)
  if (c.rule !== undefined) {
    const rules = [c.rule].flat()
    expect(
      rules.some((r) => error.message.includes(`[${r}]`)),
      `message ${JSON.stringify(error.message)} cites none of ${rules.join(', ')}`,
    ).toBe(true)
  }
  if (c.says) expect(error.message).toMatch(c.says)
}

function checkCases(direction: Fixture['direction'], cases: Case[], good: Uint8Array, goodCount: number): void {
  for (const c of cases)
    test(c.name, () => {
      const whole = run(direction, [c.bytes], c.maxPacketBytes)
      expectRefused(whole, c)
      expect(whole.packets).toEqual([])

      // The same verdict however the bytes arrive.
      expectRefused(run(direction, bytewise(c.bytes), c.maxPacketBytes), c)

      // Good packets earlier in the same chunk are yielded before the error.
      const after = run(direction, [cat(good, c.bytes)], c.maxPacketBytes)
      expectRefused(after, c)
      expect(after.packets.length, 'good packets yielded before the bad one').toBe(goodCount)

      if (c.firstByteFails) expectRefused(run(direction, [c.bytes.subarray(0, 1)], c.maxPacketBytes), c)
    })
}

/** A QoS 0 PUBLISH whose topic field holds `topic` (hex or bytes), with a one-byte length prefix. */
function publishTopic(topic: string | Uint8Array): Uint8Array {
  const t = typeof topic === 'string' ? hex(topic) : topic
  return cat(Uint8Array.of(0x30, 2 + t.length, 0, t.length), t)
}

/** Each fixture of `direction` whose type has fixed flags, with each flag bit flipped [MQTT-2.2.2-2]. */
function reservedFlagCases(direction: Fixture['direction']): Case[] {
  const seen = new Set<string>()
  const cases: Case[] = []
  for (const f of fixturesFrom(direction)) {
    if (f.packet.type === 'publish' || seen.has(f.packet.type)) continue
    seen.add(f.packet.type)
    for (const bit of [1, 2, 4, 8]) {
      const bytes = f.bytes.slice()
      bytes[0] = (bytes[0] as number) ^ bit
      cases.push({
        name: `${f.packet.type.toUpperCase()} with fixed-header flags ${(bytes[0] as number) & 15} [MQTT-2.2.2-2]`,
        bytes,
        code: 'EMALFORMED',
        rule: 'MQTT-2.2.2-2',
        firstByteFails: true,
      })
    }
  }
  return cases
}

/** Fixtures of the other direction whose type `direction` may not receive: ERESPONSE on the first byte. */
function wrongWayCases(direction: Fixture['direction'], types: readonly string[]): Case[] {
  const other = direction === 'server' ? 'client' : 'server'
  return types.map((type) => {
    const f = fixturesFrom(other).find((x) => x.packet.type === type) as Fixture
    return {
      name: `${type.toUpperCase()} sent by the wrong side`,
      bytes: f.bytes,
      code: 'ERESPONSE',
      says: new RegExp(type.toUpperCase()),
      firstByteFails: true,
    }
  })
}

const CAP = 4096
const EREADLEN = { code: 'EREADLEN', says: /remaining length/i } as const
const PID0 = { code: 'EMALFORMED', rule: 'MQTT-2.3.1-1' } as const
const BAD_UTF8 = { code: 'EMALFORMED', rule: 'MQTT-1.5.3-1' } as const
const WILDCARD = { code: 'EMALFORMED', rule: 'MQTT-3.3.2-2' } as const

// What a client may receive: everything a broker could send wrong.
const fromServerCases: Case[] = [
  ...reservedFlagCases('server'),
  ...wrongWayCases('server', ['connect', 'subscribe', 'unsubscribe', 'pingreq', 'disconnect']),
  { name: 'reserved packet type 0 [MQTT-2.2.1]', bytes: hex('00 00'), code: 'EMALFORMED', says: /reserved/i, firstByteFails: true },
  { name: 'reserved packet type 15 [MQTT-2.2.1]', bytes: hex('f0 00'), code: 'EMALFORMED', says: /reserved/i, firstByteFails: true },

  // Remaining Length [MQTT-2.2.3]: at most four bytes, and within the decoder's limit.
  {
    name: 'PUBLISH whose Remaining Length has a 5th byte [MQTT-2.2.3]',
    bytes: hex('30 ff ff ff ff 7f'),
    code: 'EMALFORMED',
    rule: 'MQTT-2.2.3',
  },
  {
    name: 'PINGRESP whose Remaining Length has a 5th byte [MQTT-2.2.3]',
    bytes: hex('d0 80 80 80 80 00'),
    code: 'EMALFORMED',
    rule: 'MQTT-2.2.3',
  },
  {
    name: 'PUBREC of 4,099 bytes over maxPacketBytes 4,096, refused from its header alone',
    bytes: hex('50 80 20'),
    code: 'EOVERSIZE',
    says: /4099|4,099/,
    maxPacketBytes: CAP,
  },
  {
    name: 'PUBCOMP one byte over maxPacketBytes, refused from its header alone',
    bytes: hex('70 fe 1f'),
    code: 'EOVERSIZE',
    says: /4096|4,096/,
    maxPacketBytes: CAP,
  },
  {
    name: 'UNSUBACK with the largest Remaining Length, refused from its header alone',
    bytes: hex('b0 ff ff ff 7f'),
    code: 'EOVERSIZE',
    maxPacketBytes: CAP,
  },
  { name: 'SUBACK over maxPacketBytes, refused from its header alone', bytes: hex('90 80 20'), code: 'EOVERSIZE', maxPacketBytes: CAP },

  // Fields past the Remaining Length, and bytes left over.
  { name: 'PUBACK with Remaining Length 1', bytes: hex('40 01 00'), ...EREADLEN },
  { name: 'PUBACK with a byte left over', bytes: hex('40 03 00 01 00'), ...EREADLEN },
  { name: 'PUBREC with Remaining Length 0', bytes: hex('50 00'), ...EREADLEN },
  { name: 'PUBREL with bytes left over', bytes: hex('62 04 00 01 00 01'), ...EREADLEN },
  { name: 'PUBCOMP with Remaining Length 1', bytes: hex('70 01 01'), ...EREADLEN },
  { name: 'UNSUBACK with Remaining Length 0', bytes: hex('b0 00'), ...EREADLEN },
  { name: 'PINGRESP with a byte left over', bytes: hex('d0 01 00'), ...EREADLEN },
  { name: 'PUBLISH with Remaining Length 0', bytes: hex('30 00'), ...EREADLEN },
  { name: 'PUBLISH with half a topic length', bytes: hex('30 01 00'), ...EREADLEN },
  { name: 'PUBLISH whose topic runs past the Remaining Length', bytes: hex('30 04 00 05 61 62'), ...EREADLEN },
  { name: 'PUBLISH with topic length 65,535 in a 3-byte body', bytes: hex('30 03 ff ff 61'), ...EREADLEN },
  { name: 'PUBLISH QoS 1 without its packet id', bytes: hex('32 05 00 03 61 2f 62'), ...EREADLEN },
  { name: 'PUBLISH QoS 2 with half a packet id', bytes: hex('34 06 00 03 61 2f 62 00'), ...EREADLEN },
  { name: 'SUBACK with Remaining Length 0', bytes: hex('90 00'), ...EREADLEN },
  { name: 'SUBACK with half a packet id', bytes: hex('90 01 00'), ...EREADLEN },

  // CONNACK: a bad one is ECONLENGTH (29), umqtt.simple2's "bad CONNACK" (CONTRACT §1).
  { name: 'CONNACK with Remaining Length 3', bytes: hex('20 03 00 00 00'), code: 'ECONLENGTH' },
  { name: 'CONNACK with Remaining Length 1', bytes: hex('20 01 00'), code: 'ECONLENGTH' },
  { name: 'CONNACK with Remaining Length 0', bytes: hex('20 00'), code: 'ECONLENGTH' },
  ...['02', '80', 'fe'].map((flags): Case => ({
    name: `CONNACK with reserved acknowledge flags 0x${flags}`,
    bytes: hex(`20 02 ${flags} 00`),
    code: 'ECONLENGTH',
  })),
  ...[1, 2, 3, 4, 5].map((rc): Case => ({
    name: `CONNACK refusing with code ${rc} yet session present [MQTT-3.2.2-4]`,
    bytes: hex(`20 02 01 0${rc}`),
    code: 'ECONLENGTH',
    rule: 'MQTT-3.2.2-4',
  })),

  // PUBLISH fixed-header flags.
  { name: 'PUBLISH with QoS 3 [MQTT-3.3.1-4]', bytes: hex('36 07 00 03 61 2f 62 00 01'), code: 'EMALFORMED', rule: 'MQTT-3.3.1-4' },
  {
    name: 'PUBLISH retained with QoS 3 [MQTT-3.3.1-4]',
    bytes: hex('37 07 00 03 61 2f 62 00 01'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.3.1-4',
  },

  // Packet identifier 0.
  { name: 'PUBLISH QoS 1 with packet id 0 [MQTT-2.3.1-1]', bytes: hex('32 07 00 03 61 2f 62 00 00'), ...PID0 },
  { name: 'PUBLISH QoS 2 with packet id 0 [MQTT-2.3.1-1]', bytes: hex('34 07 00 03 61 2f 62 00 00'), ...PID0 },
  { name: 'PUBACK with packet id 0 [MQTT-2.3.1-1]', bytes: hex('40 02 00 00'), ...PID0 },
  { name: 'PUBREC with packet id 0 [MQTT-2.3.1-1]', bytes: hex('50 02 00 00'), ...PID0 },
  { name: 'PUBREL with packet id 0 [MQTT-2.3.1-1]', bytes: hex('62 02 00 00'), ...PID0 },
  { name: 'PUBCOMP with packet id 0 [MQTT-2.3.1-1]', bytes: hex('70 02 00 00'), ...PID0 },
  { name: 'SUBACK with packet id 0 [MQTT-2.3.1-1]', bytes: hex('90 03 00 00 00'), ...PID0 },
  { name: 'UNSUBACK with packet id 0 [MQTT-2.3.1-1]', bytes: hex('b0 02 00 00'), ...PID0 },

  // Topic names that are not well-formed UTF-8 [MQTT-1.5.3-1] (fatal decoding, never U+FFFD).
  ...(
    [
      ['a lone continuation byte', '61 80'],
      ['a 2-byte sequence cut short', 'c3'],
      ['a 3-byte sequence cut short', 'e2 82'],
      ['a 4-byte sequence cut short', 'f0 9f 98'],
      ['a lead byte followed by ASCII', 'c3 28'],
      ['an overlong "/" (c0 af)', 'c0 af'],
      ['an overlong U+0000 (c0 80)', '61 c0 80'],
      ['an overlong 3-byte form', 'e0 80 af'],
      ['an overlong 4-byte form', 'f0 80 80 af'],
      ['an encoded high surrogate U+D800 (ed a0 80)', 'ed a0 80'],
      ['an encoded low surrogate U+DFFF (ed bf bf)', 'ed bf bf'],
      ['a surrogate pair encoded as two 3-byte forms (CESU-8)', 'ed a0 bd ed b8 80'],
      ['a code point above U+10FFFF', 'f4 90 80 80'],
      ['the byte 0xff', '61 ff'],
      ['the byte 0xfe', 'fe'],
      ['a 5-byte form', 'f8 88 80 80 80'],
    ] as const
  ).map(([what, topic]): Case => ({ name: `PUBLISH topic with ${what} [MQTT-1.5.3-1]`, bytes: publishTopic(topic), ...BAD_UTF8 })),
  {
    name: 'PUBLISH topic with U+0000 [MQTT-1.5.3-2]',
    bytes: publishTopic('61 00 62'),
    code: 'EMALFORMED',
    rule: ['MQTT-1.5.3-2', 'MQTT-4.7.3-2'],
  },

  // Topic names a broker may never send.
  ...['a/+', 'a/#', '#', '+', 'a+b', 'sport/tennis#'].map((topic): Case => ({
    name: `PUBLISH to topic ${JSON.stringify(topic)} [MQTT-3.3.2-2]`,
    bytes: publishTopic(ascii(topic)),
    ...WILDCARD,
  })),
  { name: 'PUBLISH QoS 0 to an empty topic [MQTT-4.7.3-1]', bytes: hex('30 04 00 00 68 69'), code: 'EMALFORMED', rule: 'MQTT-4.7.3-1' },
  { name: 'PUBLISH QoS 1 to an empty topic [MQTT-4.7.3-1]', bytes: hex('32 04 00 00 00 01'), code: 'EMALFORMED', rule: 'MQTT-4.7.3-1' },

  // SUBACK return codes other than 0, 1, 2 and 0x80 [MQTT-3.9.3-2].
  ...['03', '81', 'ff', '00 01 40'].map((codes): Case => ({
    name: `SUBACK with return codes ${codes} [MQTT-3.9.3-2]`,
    bytes: cat(Uint8Array.of(0x90, 2 + hex(codes).length, 0, 1), hex(codes)),
    code: 'ESUBACKUNKNOWN',
    rule: 'MQTT-3.9.3-2',
  })),
  // A SUBSCRIBE carries at least one filter [MQTT-3.8.3-3], so its SUBACK at least one code.
  { name: 'SUBACK without return codes', bytes: hex('90 02 00 01'), code: ['ESUBACKUNKNOWN', 'EMALFORMED'] },
]

const CONNECT = (flags: string, rest = '', name = '00 04 4d 51 54 54', level = '04') => {
  const body = cat(name, level, flags, '00 3c 00 02 63 31', rest)
  return cat(Uint8Array.of(0x10, body.length), body)
}

// What a broker may receive (for tools that play the broker): the CONNECT rules above all.
const fromClientCases: Case[] = [
  ...reservedFlagCases('client'),
  ...wrongWayCases('client', ['connack', 'suback', 'unsuback', 'pingresp']),
  {
    name: 'CONNECT for protocol "MQIsdp" level 3 (MQTT 3.1) [MQTT-3.1.2-1]',
    bytes: CONNECT('02', '', '00 06 4d 51 49 73 64 70', '03'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.1.2-1',
  },
  {
    name: 'CONNECT for protocol "mqtt" [MQTT-3.1.2-1]',
    bytes: CONNECT('02', '', '00 04 6d 71 74 74'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.1.2-1',
  },
  {
    name: 'CONNECT for "MQTT" level 3 [MQTT-3.1.2-2]',
    bytes: CONNECT('02', '', undefined, '03'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.1.2-2',
  },
  {
    name: 'CONNECT for "MQTT" level 5 [MQTT-3.1.2-2]',
    bytes: CONNECT('02', '', undefined, '05'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.1.2-2',
  },
  { name: 'CONNECT with the reserved flag [MQTT-3.1.2-3]', bytes: CONNECT('03'), code: 'EMALFORMED', rule: 'MQTT-3.1.2-3' },
  { name: 'CONNECT with will QoS 1 but no will [MQTT-3.1.2-13]', bytes: CONNECT('0a'), code: 'EMALFORMED', rule: 'MQTT-3.1.2-13' },
  { name: 'CONNECT with will QoS 2 but no will [MQTT-3.1.2-13]', bytes: CONNECT('12'), code: 'EMALFORMED', rule: 'MQTT-3.1.2-13' },
  { name: 'CONNECT with will retain but no will [MQTT-3.1.2-15]', bytes: CONNECT('22'), code: 'EMALFORMED', rule: 'MQTT-3.1.2-15' },
  {
    name: 'CONNECT with will QoS 3 [MQTT-3.1.2-14]',
    bytes: CONNECT('1e', '00 01 77 00 03 62 79 65'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.1.2-14',
  },
  {
    name: 'CONNECT with a password but no user name [MQTT-3.1.2-22]',
    bytes: CONNECT('42', '00 02 70 77'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.1.2-22',
  },
  { name: 'CONNECT with the user name flag but no user name', bytes: CONNECT('82'), ...EREADLEN },
  { name: 'CONNECT with the will flag but no will fields', bytes: CONNECT('06'), ...EREADLEN },
  {
    name: 'CONNECT with a byte after the last field',
    bytes: CONNECT('02', '00'),
    code: 'EREADLEN',
    says: /after the last field|left over/i,
  },
  {
    name: 'CONNECT with a client id that is not UTF-8 [MQTT-1.5.3-1]',
    bytes: hex('10 0e 00 04 4d 51 54 54 04 02 00 3c 00 02 c0 af'),
    ...BAD_UTF8,
  },
  { name: 'SUBSCRIBE without filters [MQTT-3.8.3-3]', bytes: hex('82 02 00 01'), code: 'EMALFORMED', rule: 'MQTT-3.8.3-3' },
  { name: 'SUBSCRIBE requesting QoS 3 [MQTT-3.8.3-4]', bytes: hex('82 06 00 01 00 01 23 03'), code: 'EMALFORMED', rule: 'MQTT-3.8.3-4' },
  {
    name: 'SUBSCRIBE with reserved bits in the QoS byte [MQTT-3.8.3-4]',
    bytes: hex('82 06 00 01 00 01 23 41'),
    code: 'EMALFORMED',
    rule: 'MQTT-3.8.3-4',
  },
  { name: 'SUBSCRIBE with a filter but no QoS byte', bytes: hex('82 05 00 01 00 01 23'), ...EREADLEN },
  { name: 'SUBSCRIBE with packet id 0 [MQTT-2.3.1-1]', bytes: hex('82 06 00 00 00 01 23 00'), ...PID0 },
  { name: 'UNSUBSCRIBE without filters [MQTT-3.10.3-2]', bytes: hex('a2 02 00 01'), code: 'EMALFORMED', rule: 'MQTT-3.10.3-2' },
  { name: 'UNSUBSCRIBE with packet id 0 [MQTT-2.3.1-1]', bytes: hex('a2 05 00 00 00 01 23'), ...PID0 },
  { name: 'PUBLISH from a client to "a/#" [MQTT-3.3.2-2]', bytes: publishTopic(ascii('a/#')), ...WILDCARD },
]

describe('fromServer refuses', () => {
  // PINGRESP and PUBACK come first in the same chunk and must still be delivered.
  checkCases('server', fromServerCases, hex('d0 00 40 02 00 01'), 2)
})

describe('fromClient refuses', () => {
  checkCases('client', fromClientCases, hex('c0 00 40 02 00 01'), 2)
})

describe('maxPacketBytes', () => {
  test('a packet of exactly maxPacketBytes is accepted', () => {
    // 1 type byte + 2 length bytes (4093 = fd 1f) + 4093 body bytes = 4096.
    const payload = pattern(4090)
    const bytes = cat('30 fd 1f 00 01 74', payload)
    expect(bytes.length).toBe(CAP)
    const { packets, error } = run('server', [bytes], CAP)
    expect(error).toBeUndefined()
    expect(packets.map(fingerprint)).toEqual([fingerprint({ type: 'publish', topic: 't', payload, qos: 0, retain: false, dup: false })])
  })

  test('the oversize check does not wait for the body: the first chunk of 3 header bytes throws', () => {
    const decoder = new PacketDecoder<Packet>(fromServer, CAP)
    const header = hex('90 ff ff 7f')
    expect(() => [...decoder.push(header)]).toThrow(expect.objectContaining({ code: 'EOVERSIZE' }))
  })

  test('a broker refuses an oversize PUBLISH from its header alone (fromClient has no skip)', () => {
    const decoder = new PacketDecoder<Packet>(fromClient, CAP)
    expect(() => [...decoder.push(hex('30 80 20'))]).toThrow(
      expect.objectContaining({ code: 'EOVERSIZE', message: expect.stringMatching(/4099|4,099/) }),
    )
  })

  test('an oversize PUBLISH from the broker is skipped: topic, pid and size kept, at most 64 KiB of it buffered, the next packet intact', () => {
    // QoS 1, topic "a/b", pid 7, a 1 MiB payload, then a PINGRESP.
    const payload = pattern(1 << 20)
    const body = cat('00 03 61 2f 62 00 07', payload)
    const length = body.length
    const header = [0x32, (length & 127) | 128, ((length >> 7) & 127) | 128, length >> 14]
    const bytes = cat(Uint8Array.from(header), body, hex('d0 00'))
    for (const size of [1, 7, 1000, 65_536, bytes.length]) {
      const chunks: Uint8Array[] = []
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size))
      const { packets, error } = run('server', chunks, CAP)
      expect(error, `chunks of ${size}`).toBeUndefined()
      expect(packets, `chunks of ${size}`).toEqual([
        {
          type: 'publish',
          topic: 'a/b',
          qos: 1,
          pid: 7,
          retain: false,
          dup: false,
          payload: new MqttPayload(0),
          oversize: bytes.length - 2,
        },
        { type: 'pingresp' },
      ])
    }
  })

  test('a skipped PUBLISH keeps its rules: QoS 3 and packet id 0 are still malformed', () => {
    expect(run('server', [hex('36 ff 7f 00 01 61 00 01'), pattern(0x3fff - 5)], CAP).error).toMatchObject({ code: 'EMALFORMED' })
    const body = cat('00 01 61 00 00', pattern(5000))
    expect(run('server', [cat(hex('32 8d 27'), body)], CAP).error).toMatchObject({
      code: 'EMALFORMED',
      message: expect.stringContaining('[MQTT-2.3.1-1]'),
    })
  })
})

test('a partial packet is never an error: every prefix of a good packet just waits', () => {
  const bytes = hex('32 09 00 03 61 2f 62 00 01 68 69')
  for (let n = 0; n < bytes.length; n++) {
    const { packets, error } = run('server', [bytes.subarray(0, n)])
    expect(error, `prefix ${toHex(bytes.subarray(0, n))}`).toBeUndefined()
    expect(packets).toEqual([])
  }
})
