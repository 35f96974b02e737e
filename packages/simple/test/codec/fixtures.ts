/**
 * Every MQTT 3.1.1 control packet, in each direction it travels, as a plain object and as the
 * bytes the standard prescribes. The bytes are written by hand from the standard's layouts
 * (OASIS MQTT 3.1.1, chapters 2 and 3), not produced by the encoder, so the round-trip tests can
 * catch an encoder bug as well as a decoder bug.
 *
 * No vitest imports: the benchmark imports this file too. The one multi-megabyte fixture is built
 * on first access, so importing this file stays cheap.
 */
import type { Packet, PublishPacket, QoS } from '@x/simple'
import { ascii, cat, hex, pattern } from './hex.js'

export interface Fixture {
  readonly name: string
  /** Who sends it: 'server' packets go through `fromServer`, 'client' ones through `fromClient`. */
  readonly direction: 'server' | 'client'
  readonly packet: Packet
  readonly bytes: Uint8Array
  /** Too big for tests that cost O(length²), such as splitting at every offset. */
  readonly large?: true
}

const fixture = (name: string, direction: Fixture['direction'], packet: Packet, bytes: Uint8Array): Fixture => ({
  name,
  direction,
  packet,
  bytes,
})

/** A fixture whose packet and bytes are built the first time either is read. */
function lazyFixture(name: string, direction: Fixture['direction'], build: () => { packet: Packet; bytes: Uint8Array }): Fixture {
  let built: { packet: Packet; bytes: Uint8Array } | undefined
  const get = () => (built ??= build())
  return {
    name,
    direction,
    large: true,
    get packet() {
      return get().packet
    },
    get bytes() {
      return get().bytes
    },
  }
}

/** A PUBLISH object; `pid` only for QoS 1 and 2, as the decoder yields it. */
function publish(topic: string, payload: Uint8Array, qos: QoS = 0, flags: { retain?: boolean; dup?: boolean; pid?: number } = {}) {
  const p: PublishPacket = { type: 'publish', topic, payload, qos, retain: flags.retain ?? false, dup: flags.dup ?? false }
  if (flags.pid !== undefined) p.pid = flags.pid
  return p
}

/**
 * A QoS 0 PUBLISH to topic "t" whose Remaining Length is `length`, written by hand as `lengthHex`
 * [MQTT-2.2.3]: topic field (3 bytes) plus `length - 3` payload bytes.
 */
function publishOfLength(length: number, lengthHex: string): { packet: Packet; bytes: Uint8Array } {
  const payload = pattern(length - 3, length & 255)
  return { packet: publish('t', payload), bytes: cat('30', lengthHex, '00 01 74', payload) }
}

// The CONNECT variable header up to the flags: protocol name "MQTT", level 4 [MQTT-3.1.2-1] [MQTT-3.1.2-2].
const MQTT4 = '00 04 4d 51 54 54 04'

const connect: Fixture[] = [
  fixture(
    'CONNECT clean session, keepalive 60, client id "c1"',
    'client',
    { type: 'connect', clientId: 'c1', cleanSession: true, keepaliveSec: 60 },
    hex(`10 0e ${MQTT4} 02 00 3c 00 02 63 31`),
  ),
  fixture(
    'CONNECT persistent session (clean session 0), keepalive 0',
    'client',
    { type: 'connect', clientId: 'dev-1', cleanSession: false, keepaliveSec: 0 },
    cat(`10 11 ${MQTT4} 00 00 00 00 05`, ascii('dev-1')),
  ),
  fixture(
    'CONNECT empty client id with clean session [MQTT-3.1.3-7]',
    'client',
    { type: 'connect', clientId: '', cleanSession: true, keepaliveSec: 30 },
    hex(`10 0c ${MQTT4} 02 00 1e 00 00`),
  ),
  fixture(
    'CONNECT will QoS 0, no retain',
    'client',
    {
      type: 'connect',
      clientId: 'c1',
      cleanSession: true,
      keepaliveSec: 60,
      will: { topic: 'w', payload: ascii('bye'), qos: 0, retain: false },
    },
    hex(`10 16 ${MQTT4} 06 00 3c 00 02 63 31 00 01 77 00 03 62 79 65`),
  ),
  fixture(
    'CONNECT will QoS 1 with retain',
    'client',
    {
      type: 'connect',
      clientId: 'c1',
      cleanSession: true,
      keepaliveSec: 60,
      will: { topic: 'st/c1', payload: ascii('offline'), qos: 1, retain: true },
    },
    cat(`10 1e ${MQTT4} 2e 00 3c 00 02 63 31 00 05`, ascii('st/c1'), '00 07', ascii('offline')),
  ),
  fixture(
    'CONNECT will QoS 2 with an empty will payload, persistent session',
    'client',
    {
      type: 'connect',
      clientId: 'c1',
      cleanSession: false,
      keepaliveSec: 10,
      will: { topic: 'w', payload: new Uint8Array(0), qos: 2, retain: false },
    },
    hex(`10 13 ${MQTT4} 14 00 0a 00 02 63 31 00 01 77 00 00`),
  ),
  fixture(
    'CONNECT user name without password',
    'client',
    { type: 'connect', clientId: 'c1', cleanSession: true, keepaliveSec: 60, username: 'u' },
    hex(`10 11 ${MQTT4} 82 00 3c 00 02 63 31 00 01 75`),
  ),
  fixture(
    'CONNECT user name and password',
    'client',
    { type: 'connect', clientId: 'c1', cleanSession: true, keepaliveSec: 60, username: 'alice', password: ascii('s3cr') },
    cat(`10 1b ${MQTT4} c2 00 3c 00 02 63 31 00 05`, ascii('alice'), '00 04', ascii('s3cr')),
  ),
  fixture(
    'CONNECT empty user name and empty password (present, not absent)',
    'client',
    { type: 'connect', clientId: 'c1', cleanSession: true, keepaliveSec: 60, username: '', password: new Uint8Array(0) },
    hex(`10 12 ${MQTT4} c2 00 3c 00 02 63 31 00 00 00 00`),
  ),
  fixture(
    'CONNECT every field: will QoS 2 retained, binary will payload and password, UTF-8 ids, keepalive 65535',
    'client',
    {
      type: 'connect',
      clientId: 'dev-ü',
      cleanSession: false,
      keepaliveSec: 65535,
      will: { topic: 'a/b', payload: hex('00 ff 80'), qos: 2, retain: true },
      username: 'ü',
      password: hex('ff 00 fe'),
    },
    hex(`10 25 ${MQTT4} f4 ff ff  00 06 64 65 76 2d c3 bc  00 03 61 2f 62  00 03 00 ff 80  00 02 c3 bc  00 03 ff 00 fe`),
  ),
]

const connack: Fixture[] = [
  fixture('CONNACK accepted, no session', 'server', { type: 'connack', sessionPresent: false, returnCode: 0 }, hex('20 02 00 00')),
  fixture('CONNACK accepted, session present', 'server', { type: 'connack', sessionPresent: true, returnCode: 0 }, hex('20 02 01 00')),
  ...[1, 2, 3, 4, 5].map((code) =>
    fixture(
      `CONNACK refused with return code ${code}`,
      'server',
      { type: 'connack', sessionPresent: false, returnCode: code },
      hex(`20 02 00 0${code}`),
    ),
  ),
]

const serverPublish: Fixture[] = [
  fixture('PUBLISH QoS 0', 'server', publish('a/b', ascii('hi')), hex('30 07 00 03 61 2f 62 68 69')),
  fixture('PUBLISH QoS 1', 'server', publish('a/b', ascii('hi'), 1, { pid: 1 }), hex('32 09 00 03 61 2f 62 00 01 68 69')),
  fixture(
    'PUBLISH QoS 2, retained, largest packet id',
    'server',
    publish('a/b', ascii('hi'), 2, { retain: true, pid: 65535 }),
    hex('35 09 00 03 61 2f 62 ff ff 68 69'),
  ),
  fixture(
    'PUBLISH QoS 1 with DUP',
    'server',
    publish('a/b', ascii('hi'), 1, { dup: true, pid: 0x1234 }),
    hex('3a 09 00 03 61 2f 62 12 34 68 69'),
  ),
  fixture(
    'PUBLISH QoS 2 with DUP and retain',
    'server',
    publish('a/b', ascii('hi'), 2, { dup: true, retain: true, pid: 0x0100 }),
    hex('3d 09 00 03 61 2f 62 01 00 68 69'),
  ),
  // Accepted: [MQTT-3.3.1-2] binds the sender; one odd message must not cost a subscriber its link.
  fixture('PUBLISH QoS 0 with DUP', 'server', publish('a/b', ascii('hi'), 0, { dup: true }), hex('38 07 00 03 61 2f 62 68 69')),
  fixture('PUBLISH QoS 0 retained', 'server', publish('a/b', ascii('hi'), 0, { retain: true }), hex('31 07 00 03 61 2f 62 68 69')),
  fixture('PUBLISH QoS 0 with an empty payload', 'server', publish('a/b', new Uint8Array(0)), hex('30 05 00 03 61 2f 62')),
  fixture(
    'PUBLISH QoS 1 with an empty payload',
    'server',
    publish('a/b', new Uint8Array(0), 1, { pid: 7 }),
    hex('32 07 00 03 61 2f 62 00 07'),
  ),
  fixture(
    'PUBLISH to a non-ASCII topic (2-, 3- and 4-byte UTF-8)',
    'server',
    publish('température/€/😀', ascii('1')),
    hex('30 18 00 15  74 65 6d 70 c3 a9 72 61 74 75 72 65  2f  e2 82 ac  2f  f0 9f 98 80  31'),
  ),
  fixture(
    'PUBLISH to a topic starting with U+FEFF, kept [MQTT-1.5.3-3]',
    'server',
    publish('\uFEFFbom', ascii('x'), 1, { pid: 5 }),
    hex('32 0b 00 06 ef bb bf 62 6f 6d 00 05 78'),
  ),
  fixture('PUBLISH to a $SYS topic', 'server', publish('$SYS/uptime', ascii('42')), cat('30 0f 00 0b', ascii('$SYS/uptime'), ascii('42'))),
  fixture('PUBLISH to topic "/" (two empty levels)', 'server', publish('/', new Uint8Array(0)), hex('30 03 00 01 2f')),
  fixture(
    'PUBLISH with a payload that is not UTF-8 (payloads are opaque)',
    'server',
    publish('b', hex('ff fe c0 80 ed a0 80 00')),
    hex('30 0b 00 01 62 ff fe c0 80 ed a0 80 00'),
  ),
  fixture('PUBLISH with a payload that looks like packets', 'server', publish('x', hex('e0 00 d0 00')), hex('30 07 00 01 78 e0 00 d0 00')),
  // Remaining Length at the edges of its 1-, 2-, 3- and 4-byte forms [MQTT-2.2.3].
  fixture('PUBLISH, Remaining Length 127 (1 byte)', 'server', ...spread(publishOfLength(127, '7f'))),
  fixture('PUBLISH, Remaining Length 128 (2 bytes)', 'server', ...spread(publishOfLength(128, '80 01'))),
  fixture('PUBLISH, Remaining Length 321 (2 bytes)', 'server', ...spread(publishOfLength(321, 'c1 02'))),
  fixture('PUBLISH, Remaining Length 16,383 (2 bytes)', 'server', ...spread(publishOfLength(16_383, 'ff 7f'))),
  fixture('PUBLISH, Remaining Length 16,384 (3 bytes)', 'server', ...spread(publishOfLength(16_384, '80 80 01'))),
  lazyFixture('PUBLISH, Remaining Length 2,097,152 (4 bytes)', 'server', () => publishOfLength(2_097_152, '80 80 80 01')),
]

function spread(p: { packet: Packet; bytes: Uint8Array }): [Packet, Uint8Array] {
  return [p.packet, p.bytes]
}

// The packet-id-only packets. PUBREL's fixed-header flags are 0010 [MQTT-3.6.1-1].
const serverAcks: Fixture[] = [
  fixture('PUBACK', 'server', { type: 'puback', pid: 1 }, hex('40 02 00 01')),
  fixture('PUBREC', 'server', { type: 'pubrec', pid: 0x1234 }, hex('50 02 12 34')),
  fixture('PUBREL', 'server', { type: 'pubrel', pid: 65535 }, hex('62 02 ff ff')),
  fixture('PUBCOMP', 'server', { type: 'pubcomp', pid: 7 }, hex('70 02 00 07')),
  fixture('SUBACK granting QoS 1', 'server', { type: 'suback', pid: 1, returnCodes: [1] }, hex('90 03 00 01 01')),
  fixture(
    'SUBACK with QoS 0, 1, 2 and failure 0x80 [MQTT-3.9.3-2]',
    'server',
    { type: 'suback', pid: 0x1234, returnCodes: [0, 1, 2, 0x80] },
    hex('90 06 12 34 00 01 02 80'),
  ),
  fixture('SUBACK with a single failure 0x80', 'server', { type: 'suback', pid: 5, returnCodes: [0x80] }, hex('90 03 00 05 80')),
  fixture('UNSUBACK', 'server', { type: 'unsuback', pid: 42 }, hex('b0 02 00 2a')),
  fixture('PINGRESP', 'server', { type: 'pingresp' }, hex('d0 00')),
]

const clientOthers: Fixture[] = [
  fixture(
    'PUBLISH QoS 0 from a client',
    'client',
    publish('sensors/t1', ascii('21.5')),
    cat('30 10 00 0a', ascii('sensors/t1'), ascii('21.5')),
  ),
  fixture(
    'PUBLISH QoS 1 from a client',
    'client',
    publish('sensors/t1', ascii('21.5'), 1, { pid: 2 }),
    cat('32 12 00 0a', ascii('sensors/t1'), '00 02', ascii('21.5')),
  ),
  fixture(
    'PUBLISH QoS 2 from a client, DUP and retain',
    'client',
    publish('sensors/t1', ascii('21.5'), 2, { dup: true, retain: true, pid: 3 }),
    cat('3d 12 00 0a', ascii('sensors/t1'), '00 03', ascii('21.5')),
  ),
  fixture('PUBACK from a client', 'client', { type: 'puback', pid: 2 }, hex('40 02 00 02')),
  fixture('PUBREC from a client', 'client', { type: 'pubrec', pid: 3 }, hex('50 02 00 03')),
  fixture('PUBREL from a client', 'client', { type: 'pubrel', pid: 3 }, hex('62 02 00 03')),
  fixture('PUBCOMP from a client', 'client', { type: 'pubcomp', pid: 0xfffe }, hex('70 02 ff fe')),
  // SUBSCRIBE and UNSUBSCRIBE carry the fixed-header flags 0010 [MQTT-3.8.1-1] [MQTT-3.10.1-1].
  fixture(
    'SUBSCRIBE one filter',
    'client',
    { type: 'subscribe', pid: 1, subscriptions: [{ filter: '#', qos: 0 }] },
    hex('82 06 00 01 00 01 23 00'),
  ),
  fixture(
    'SUBSCRIBE several filters with QoS 0, 1, 2',
    'client',
    {
      type: 'subscribe',
      pid: 10,
      subscriptions: [
        { filter: 'a/+', qos: 0 },
        { filter: 'b/#', qos: 1 },
        { filter: '$share/g/c', qos: 2 },
        { filter: '+/ü', qos: 1 },
      ],
    },
    cat('82 22 00 0a  00 03 61 2f 2b 00  00 03 62 2f 23 01  00 0a', ascii('$share/g/c'), '02  00 04 2b 2f c3 bc 01'),
  ),
  fixture('UNSUBSCRIBE one filter', 'client', { type: 'unsubscribe', pid: 1, filters: ['#'] }, hex('a2 05 00 01 00 01 23')),
  fixture(
    'UNSUBSCRIBE several filters',
    'client',
    { type: 'unsubscribe', pid: 11, filters: ['a/+', 'b/#', '$SYS/#'] },
    hex('a2 14 00 0b  00 03 61 2f 2b  00 03 62 2f 23  00 06 24 53 59 53 2f 23'),
  ),
  fixture('PINGREQ', 'client', { type: 'pingreq' }, hex('c0 00')),
  fixture('DISCONNECT', 'client', { type: 'disconnect' }, hex('e0 00')),
]

export const fixtures: readonly Fixture[] = [...connect, ...connack, ...serverPublish, ...serverAcks, ...clientOthers]

/** The fixtures one side receives. */
export const fixturesFrom = (direction: Fixture['direction']): Fixture[] => fixtures.filter((f) => f.direction === direction)
