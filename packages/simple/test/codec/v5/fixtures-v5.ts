/**
 * Every MQTT 5.0 control packet, in each direction it travels, as a plain object (as the decoder
 * yields it: `properties` always, `reasonCode` where the packet has one) and as bytes written by
 * hand from the layouts of MQTT 5.0 chapter 3, never produced by the codec under test. Besides
 * the hand-written packets, each packet type is built once with no properties and once with each
 * property the standard lets it carry (§2.2.2.2), from a hand-written sample of that property.
 */
import type { PacketV5, Properties, PropertyPacket } from '@x/simple/codec'
import { ascii, cat, hex } from '../hex.js'

export interface FixtureV5 {
  readonly name: string
  /** Who sends it: 'server' packets go through `fromServerV5`, 'client' ones through `fromClientV5`. */
  readonly direction: 'server' | 'client'
  readonly packet: PacketV5
  readonly bytes: Uint8Array
}

/** A Variable Byte Integer, written out here so that the fixtures do not depend on the codec. */
export function vbi(n: number): Uint8Array {
  const out: number[] = []
  do {
    out.push((n & 127) | (n > 127 ? 128 : 0))
    n = Math.floor(n / 128)
  } while (n > 0)
  return Uint8Array.from(out)
}

/** A whole packet: the first byte, the Remaining Length, then the parts (hex strings or bytes). */
export const whole = (first: number, ...parts: Array<string | Uint8Array>): Uint8Array => {
  const body = cat(...parts)
  return cat(Uint8Array.of(first), vbi(body.length), body)
}

/** A property block: its length, then the properties (hex or bytes). */
export const props = (...parts: Array<string | Uint8Array>): Uint8Array => {
  const body = cat(...parts)
  return cat(vbi(body.length), body)
}

/** A length-prefixed ASCII string. */
export const str = (text: string): Uint8Array => cat(Uint8Array.of(text.length >> 8, text.length & 255), ascii(text))

/** One sample of each property: its value and its bytes (identifier, then value). */
export const SAMPLES: { [K in keyof Properties]-?: [value: NonNullable<Properties[K]>, bytes: Uint8Array] } = {
  payloadFormatIndicator: [true, hex('01 01')],
  messageExpiryInterval: [3600, hex('02 00 00 0e 10')],
  contentType: ['text/plain', cat('03', str('text/plain'))],
  responseTopic: ['r/1', cat('08', str('r/1'))],
  correlationData: [Uint8Array.of(1, 2, 3), hex('09 00 03 01 02 03')],
  subscriptionIdentifier: [200, hex('0b c8 01')],
  sessionExpiryInterval: [0xffffffff, hex('11 ff ff ff ff')],
  assignedClientIdentifier: ['auto-1', cat('12', str('auto-1'))],
  serverKeepAlive: [30, hex('13 00 1e')],
  authenticationMethod: ['SCRAM-SHA-1', cat('15', str('SCRAM-SHA-1'))],
  authenticationData: [Uint8Array.of(0xde, 0xad), hex('16 00 02 de ad')],
  requestProblemInformation: [false, hex('17 00')],
  willDelayInterval: [10, hex('18 00 00 00 0a')],
  requestResponseInformation: [true, hex('19 01')],
  responseInformation: ['resp/', cat('1a', str('resp/'))],
  serverReference: ['other:1883', cat('1c', str('other:1883'))],
  reasonString: ['why', cat('1f', str('why'))],
  receiveMaximum: [20, hex('21 00 14')],
  topicAliasMaximum: [10, hex('22 00 0a')],
  topicAlias: [3, hex('23 00 03')],
  maximumQoS: [1, hex('24 01')],
  retainAvailable: [false, hex('25 00')],
  userProperties: [{ a: '1' }, cat('26', str('a'), str('1'))],
  maximumPacketSize: [65_536, hex('27 00 01 00 00')],
  wildcardSubscriptionAvailable: [true, hex('28 01')],
  subscriptionIdentifiersAvailable: [false, hex('29 00')],
  sharedSubscriptionAvailable: [true, hex('2a 01')],
}

// CONNECT's variable header up to the flags: "MQTT", version 5 [MQTT-3.1.2-1] [MQTT-3.1.2-2].
export const MQTT5 = '00 04 4d 51 54 54 05'
const PAYLOAD = ascii('hi')

/**
 * For each place properties go: the packet with the given properties, and its bytes around the
 * given property block; who sends it. AUTH with properties needs its Authentication Method.
 */
export const SHAPES: Record<
  PropertyPacket,
  { from: ReadonlyArray<'server' | 'client'>; packet: (p: Properties) => PacketV5; bytes: (block: Uint8Array) => Uint8Array }
> = {
  connect: {
    from: ['client'],
    packet: (p) => ({ type: 'connect', clientId: 'c1', cleanStart: true, keepaliveSec: 60, properties: p }),
    bytes: (block) => whole(0x10, MQTT5, '02 00 3c', block, str('c1')),
  },
  will: {
    from: ['client'],
    packet: (p) => ({
      type: 'connect',
      clientId: 'c1',
      cleanStart: true,
      keepaliveSec: 60,
      properties: {},
      will: { topic: 'w', payload: ascii('by'), qos: 1, retain: false, properties: p },
    }),
    // Flags 0x0e: will QoS 1, will, clean start.
    bytes: (block) => whole(0x10, MQTT5, '0e 00 3c 00', str('c1'), block, str('w'), str('by')),
  },
  connack: {
    from: ['server'],
    packet: (p) => ({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: p }),
    bytes: (block) => whole(0x20, '00 00', block),
  },
  publish: {
    from: ['server', 'client'],
    packet: (p) => ({ type: 'publish', topic: 'a/b', payload: PAYLOAD, qos: 1, retain: false, dup: false, pid: 7, properties: p }),
    bytes: (block) => whole(0x32, str('a/b'), '00 07', block, PAYLOAD),
  },
  ...(Object.fromEntries(
    (['puback', 'pubrec', 'pubrel', 'pubcomp'] as const).map((type, i) => [
      type,
      {
        from: ['server', 'client'],
        packet: (p: Properties) => ({ type, pid: 7, reasonCode: 0, properties: p }),
        bytes: (block: Uint8Array) =>
          block.length > 1
            ? whole([0x40, 0x50, 0x62, 0x70][i] as number, '00 07 00', block)
            : whole([0x40, 0x50, 0x62, 0x70][i] as number, '00 07'),
      },
    ]),
  ) as Record<'puback' | 'pubrec' | 'pubrel' | 'pubcomp', never>),
  subscribe: {
    from: ['client'],
    packet: (p) => ({
      type: 'subscribe',
      pid: 9,
      subscriptions: [{ filter: 'a/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      properties: p,
    }),
    bytes: (block) => whole(0x82, '00 09', block, str('a/#'), '01'),
  },
  suback: {
    from: ['server'],
    packet: (p) => ({ type: 'suback', pid: 9, reasonCodes: [1], properties: p }),
    bytes: (block) => whole(0x90, '00 09', block, '01'),
  },
  unsubscribe: {
    from: ['client'],
    packet: (p) => ({ type: 'unsubscribe', pid: 9, filters: ['a/#'], properties: p }),
    bytes: (block) => whole(0xa2, '00 09', block, str('a/#')),
  },
  unsuback: {
    from: ['server'],
    packet: (p) => ({ type: 'unsuback', pid: 9, reasonCodes: [0], properties: p }),
    bytes: (block) => whole(0xb0, '00 09', block, '00'),
  },
  disconnect: {
    from: ['server', 'client'],
    packet: (p) => ({ type: 'disconnect', reasonCode: 0, properties: p }),
    bytes: (block) => (block.length > 1 ? whole(0xe0, '00', block) : whole(0xe0)),
  },
  auth: {
    from: ['server', 'client'],
    packet: (p) => ({ type: 'auth', reasonCode: 0x18, properties: p }),
    bytes: (block) => (block.length > 1 ? whole(0xf0, '18', block) : whole(0xf0, '18')),
  },
}

/** Properties a sample of `name` needs beside it in `packet` (a rule ties them), and who may not send it. */
function companions(packet: PropertyPacket, name: keyof Properties): { before: Array<keyof Properties>; notFrom?: 'server' | 'client' } {
  if (packet === 'auth' && name !== 'authenticationMethod') return { before: ['authenticationMethod'] }
  if (packet === 'connect' && name === 'authenticationData') return { before: ['authenticationMethod'] }
  if (packet === 'publish' && name === 'subscriptionIdentifier') return { before: [], notFrom: 'client' } // [MQTT-3.3.4-6]
  if (packet === 'disconnect' && name === 'sessionExpiryInterval') return { before: [], notFrom: 'server' } // [MQTT-3.14.2-2]
  return { before: [] }
}

/** The packet `packet` with no properties, then with each property it may carry, from each side that sends it. */
export function propertyFixtures(allowed: (packet: PropertyPacket) => Array<keyof Properties>): FixtureV5[] {
  const out: FixtureV5[] = []
  for (const [where, shape] of Object.entries(SHAPES) as Array<[PropertyPacket, (typeof SHAPES)[PropertyPacket]]>) {
    const label = where === 'will' ? 'CONNECT will' : where.toUpperCase()
    const names: Array<keyof Properties | undefined> = [undefined, ...allowed(where)]
    for (const name of names) {
      const { before, notFrom } = name ? companions(where, name) : { before: [] }
      if (where === 'auth' && !name) continue // AUTH with properties carries its method: see the hand-written AUTH fixtures
      const list = [...before, ...(name ? [name] : [])]
      const p = Object.fromEntries(list.map((n) => [n, SAMPLES[n][0]])) as Properties
      const block = props(...list.map((n) => SAMPLES[n][1]))
      for (const direction of shape.from) {
        if (direction === notFrom) continue
        out.push({
          name: `${label} ${name ? `with ${name}` : 'without properties'} (from the ${direction})`,
          direction,
          packet: shape.packet(p),
          bytes: shape.bytes(block),
        })
      }
    }
  }
  return out
}

const both = (name: string, packet: PacketV5, bytes: Uint8Array): FixtureV5[] => [
  { name: `${name} (from the server)`, direction: 'server', packet, bytes },
  { name: `${name} (from the client)`, direction: 'client', packet, bytes },
]

/** The hand-written packets: every field and flag, the exact bytes of the ordering and leaving-out rules. */
export const handWritten: FixtureV5[] = [
  {
    name: 'CONNECT, empty client id, no properties: property length 0 (MQTT 5.0 §3.1.2.11.1)',
    direction: 'client',
    packet: { type: 'connect', clientId: '', cleanStart: true, keepaliveSec: 60, properties: {} },
    bytes: hex(`10 0d ${MQTT5} 02 00 3c 00 00 00`),
  },
  {
    name: "CONNECT with everything: properties in the caller's order, user properties repeated, will properties, user name, password",
    direction: 'client',
    packet: {
      type: 'connect',
      clientId: 'dev-1',
      cleanStart: false,
      keepaliveSec: 0,
      properties: { userProperties: { b: '2', a: ['1', '3'] }, sessionExpiryInterval: 10, receiveMaximum: 5 },
      will: {
        topic: 'w/t',
        payload: ascii('gone'),
        qos: 2,
        retain: true,
        properties: { willDelayInterval: 5, contentType: 'x', payloadFormatIndicator: true },
      },
      username: 'u',
      password: ascii('pw'),
    },
    // Flags: user name 0x80, password 0x40, will retain 0x20, will QoS 2 0x10, will 0x04.
    bytes: whole(
      0x10,
      MQTT5,
      'f4 00 00',
      props('26', str('b'), str('2'), '26', str('a'), str('1'), '26', str('a'), str('3'), '11 00 00 00 0a', '21 00 05'),
      str('dev-1'),
      props('18 00 00 00 05', '03', str('x'), '01 01'),
      str('w/t'),
      str('gone'),
      str('u'),
      str('pw'),
    ),
  },
  {
    name: 'CONNECT with a password and no user name (allowed in MQTT 5.0, §3.1.2.9)',
    direction: 'client',
    packet: { type: 'connect', clientId: 'c', cleanStart: true, keepaliveSec: 10, properties: {}, password: Uint8Array.of(0, 255) },
    bytes: whole(0x10, MQTT5, '42 00 0a 00', str('c'), '00 02 00 ff'),
  },
  {
    name: 'CONNACK session present, no properties',
    direction: 'server',
    packet: { type: 'connack', sessionPresent: true, reasonCode: 0, properties: {} },
    bytes: hex('20 03 01 00 00'),
  },
  {
    name: 'CONNACK refusing 0x87 (not authorized) with a reason string',
    direction: 'server',
    packet: { type: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'no' } },
    bytes: whole(0x20, '00 87', props('1f', str('no'))),
  },
  {
    name: 'CONNACK with every limit a broker sets, in its order',
    direction: 'server',
    packet: {
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        receiveMaximum: 3,
        maximumQoS: 0,
        retainAvailable: true,
        maximumPacketSize: 1024,
        topicAliasMaximum: 0,
        serverKeepAlive: 0,
      },
    },
    bytes: whole(0x20, '00 00', props('21 00 03 24 00 25 01 27 00 00 04 00 22 00 00 13 00 00')),
  },
  ...both(
    'PUBLISH QoS 0 to an alias: empty topic with a Topic Alias (MQTT 5.0 §3.3.2.3.4)',
    { type: 'publish', topic: '', payload: PAYLOAD, qos: 0, retain: false, dup: false, properties: { topicAlias: 5 } },
    hex('30 08 00 00 03 23 00 05 68 69'),
  ),
  ...both(
    'PUBLISH QoS 2, retain, dup, user properties with a repeated key, empty payload',
    {
      type: 'publish',
      topic: 't',
      payload: new Uint8Array(0),
      qos: 2,
      retain: true,
      dup: true,
      pid: 65_535,
      properties: { userProperties: { k: ['v1', 'v2'], z: '' } },
    },
    whole(0x3d, str('t'), 'ff ff', props('26', str('k'), str('v1'), '26', str('k'), str('v2'), '26', str('z'), str(''))),
  ),
  {
    name: 'PUBLISH from the server with two Subscription Identifiers (MQTT 5.0 §3.3.4)',
    direction: 'server',
    packet: {
      type: 'publish',
      topic: 'a',
      payload: PAYLOAD,
      qos: 0,
      retain: false,
      dup: false,
      properties: { subscriptionIdentifier: [1, 268_435_455] },
    },
    bytes: whole(0x30, str('a'), props('0b 01 0b ff ff ff 7f'), PAYLOAD),
  },
  ...both(
    'PUBLISH request with response topic and correlation data',
    {
      type: 'publish',
      topic: 'req',
      payload: PAYLOAD,
      qos: 1,
      retain: false,
      dup: false,
      pid: 1,
      properties: { responseTopic: 'res/1', correlationData: Uint8Array.of(9, 8), messageExpiryInterval: 60 },
    },
    whole(0x32, str('req'), '00 01', props('08', str('res/1'), '09 00 02 09 08', '02 00 00 00 3c'), PAYLOAD),
  ),
  ...(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const).flatMap((type, i) => {
    const first = (0x40 + 0x10 * i) | (type === 'pubrel' ? 2 : 0)
    const refusal = type === 'pubrel' || type === 'pubcomp' ? 0x92 : 0x97
    return [
      ...both(
        `${type.toUpperCase()} reason code 0, no properties: 2-byte body (MQTT 5.0 §3.4.2.1)`,
        { type, pid: 7, reasonCode: 0, properties: {} },
        Uint8Array.of(first, 2, 0, 7),
      ),
      ...both(
        `${type.toUpperCase()} reason code 0x${refusal.toString(16)}, no properties: 3-byte body`,
        { type, pid: 7, reasonCode: refusal, properties: {} },
        Uint8Array.of(first, 3, 0, 7, refusal),
      ),
      ...both(
        `${type.toUpperCase()} reason code 0x${refusal.toString(16)} with a reason string and user property`,
        { type, pid: 258, reasonCode: refusal, properties: { reasonString: 'full', userProperties: { q: '1' } } },
        whole(first, '01 02', Uint8Array.of(refusal), props('1f', str('full'), '26', str('q'), str('1'))),
      ),
    ]
  }),
  ...both(
    'PUBACK 0x10 (no matching subscribers), short form',
    { type: 'puback', pid: 1, reasonCode: 0x10, properties: {} },
    hex('40 03 00 01 10'),
  ),
  {
    name: 'SUBSCRIBE with every subscription option and a Subscription Identifier',
    direction: 'client',
    packet: {
      type: 'subscribe',
      pid: 10,
      subscriptions: [
        { filter: 'a/+', qos: 2, noLocal: true, retainAsPublished: true, retainHandling: 2 },
        { filter: '$share/g/x', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 },
        { filter: '#', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 0 },
      ],
      properties: { subscriptionIdentifier: 268_435_455, userProperties: { s: 't' } },
    },
    // Options: QoS 2 | No Local 0x04 | Retain As Published 0x08 | Retain Handling 2 << 4 = 0x2e.
    bytes: whole(0x82, '00 0a', props('0b ff ff ff 7f 26', str('s'), str('t')), str('a/+'), '2e', str('$share/g/x'), '10', str('#'), '09'),
  },
  {
    name: 'SUBACK with granted and refused reason codes',
    direction: 'server',
    packet: { type: 'suback', pid: 10, reasonCodes: [0, 1, 2, 0x80, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2, 0x83], properties: {} },
    bytes: hex('90 0f 00 0a 00 00 01 02 80 87 8f 91 97 9e a1 a2 83'),
  },
  {
    name: 'UNSUBSCRIBE two filters with a user property',
    direction: 'client',
    packet: { type: 'unsubscribe', pid: 11, filters: ['a/+', 'b'], properties: { userProperties: { u: 'v' } } },
    bytes: whole(0xa2, '00 0b', props('26', str('u'), str('v')), str('a/+'), str('b')),
  },
  {
    name: 'UNSUBACK with every reason code',
    direction: 'server',
    packet: { type: 'unsuback', pid: 11, reasonCodes: [0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91], properties: {} },
    bytes: hex('b0 0a 00 0b 00 00 11 80 83 87 8f 91'),
  },
  ...both(
    'DISCONNECT reason code 0, no properties: 0-byte body (MQTT 5.0 §3.14.2.1)',
    { type: 'disconnect', reasonCode: 0, properties: {} },
    hex('e0 00'),
  ),
  {
    name: 'DISCONNECT 0x04 (with will message), reason code only',
    direction: 'client',
    packet: { type: 'disconnect', reasonCode: 0x04, properties: {} },
    bytes: hex('e0 01 04'),
  },
  {
    name: 'DISCONNECT from the client with a new Session Expiry Interval',
    direction: 'client',
    packet: { type: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } },
    bytes: hex('e0 07 00 05 11 00 00 00 00'),
  },
  {
    name: 'DISCONNECT 0x9c (use another server) with a reason string and server reference',
    direction: 'server',
    packet: { type: 'disconnect', reasonCode: 0x9c, properties: { reasonString: 'move', serverReference: 'b:1883' } },
    bytes: whole(0xe0, '9c', props('1f', str('move'), '1c', str('b:1883'))),
  },
  {
    name: 'DISCONNECT 0x8e (session taken over), reason code only',
    direction: 'server',
    packet: { type: 'disconnect', reasonCode: 0x8e, properties: {} },
    bytes: hex('e0 01 8e'),
  },
  ...both(
    'AUTH reason code 0, no properties: 0-byte body (MQTT 5.0 §3.15.2.1)',
    { type: 'auth', reasonCode: 0, properties: {} },
    hex('f0 00'),
  ),
  ...both(
    'AUTH 0x18 (continue) with method and data',
    { type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'M', authenticationData: Uint8Array.of(1) } },
    whole(0xf0, '18', props('15', str('M'), '16 00 01 01')),
  ),
  {
    name: 'AUTH 0x19 (re-authenticate) with method',
    direction: 'client',
    packet: { type: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'M' } },
    bytes: whole(0xf0, '19', props('15', str('M'))),
  },
  { name: 'PINGREQ', direction: 'client', packet: { type: 'pingreq' }, bytes: hex('c0 00') },
  { name: 'PINGRESP', direction: 'server', packet: { type: 'pingresp' }, bytes: hex('d0 00') },
]
