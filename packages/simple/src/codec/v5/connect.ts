import { packet, u16 } from '../bytes.js'
import type { QoS } from '../packet.js'
import { MALFORMED, PROTOCOL_ERROR, UNSUPPORTED_PROTOCOL_VERSION } from './errors.js'
import type { ConnectPacketV5 } from './packet.js'
import { decodeProperties, encodeProperties } from './properties.js'
import type { ReaderV5 } from './reader.js'
import { binary, string } from './write.js'

// Protocol name "MQTT" and version 5 [MQTT-3.1.2-1] [MQTT-3.1.2-2].
const PROTOCOL = Uint8Array.of(0, 4, 77, 81, 84, 84, 5)

/** CONNECT (MQTT 5.0 §3.1): the properties after the keepalive, the will's before its topic. */
export function encodeConnectV5(p: ConnectPacketV5): Uint8Array {
  const { will } = p
  const flags =
    (p.username === undefined ? 0 : 0x80) |
    (p.password === undefined ? 0 : 0x40) |
    (will ? 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0) : 0) |
    (p.cleanStart ? 0x02 : 0)
  const parts = [
    PROTOCOL,
    Uint8Array.of(flags),
    u16(p.keepaliveSec),
    ...encodeProperties(p.properties, 'connect'),
    ...string(p.clientId, 'client identifier', 'ECLIENTID'),
  ]
  if (will) {
    parts.push(
      ...encodeProperties(will.properties, 'will'),
      ...string(will.topic, 'will topic', 'ETOPIC'),
      ...binary(will.payload, 'will payload'),
    )
  }
  if (p.username !== undefined) parts.push(...string(p.username, 'user name'))
  if (p.password !== undefined) parts.push(...binary(p.password, 'password'))
  return packet(0x10, parts)
}

/** CONNECT, as a broker reads it: the flags' rules (MQTT 5.0 §3.1.2.3). A password needs no user name in 5.0. */
export function decodeConnectV5(r: ReaderV5): ConnectPacketV5 {
  const name = r.string()
  const level = r.u8()
  if (name !== 'MQTT' || level !== 5) {
    throw r.error(`protocol "${name}" version ${level} is not MQTT 5.0 [MQTT-3.1.2-1] [MQTT-3.1.2-2]`, UNSUPPORTED_PROTOCOL_VERSION)
  }
  const flags = r.u8()
  if (flags & 0x01) throw r.error('the reserved connect flag is set [MQTT-3.1.2-3]')
  const willQos = (flags >> 3) & 3
  if (!(flags & 0x04) && (willQos || flags & 0x20)) throw r.error('will QoS or retain set without a will [MQTT-3.1.2-11] [MQTT-3.1.2-13]')
  if (willQos === 3) throw r.error('will QoS 3 [MQTT-3.1.2-12]')
  const keepaliveSec = r.u16()
  const properties = decodeProperties(r, 'connect')
  if (properties.authenticationData && properties.authenticationMethod === undefined) {
    throw r.error('Authentication Data without an Authentication Method (MQTT 5.0 §3.1.2.11.10)', PROTOCOL_ERROR)
  }
  const p: ConnectPacketV5 = { type: 'connect', clientId: r.string(), cleanStart: (flags & 0x02) !== 0, keepaliveSec, properties }
  if (flags & 0x04) {
    const willProperties = decodeProperties(r, 'will')
    p.will = { topic: r.string(), payload: r.field(), qos: willQos as QoS, retain: (flags & 0x20) !== 0, properties: willProperties }
  }
  if (flags & 0x80) p.username = r.string()
  if (flags & 0x40) p.password = r.field()
  if (r.left) throw r.error(`${r.left} bytes after the last field (MQTT 5.0 §3.1.3)`, MALFORMED, 'EREADLEN')
  return p
}
