import { field, packet, text, u16 } from './bytes.js'
import type { ConnectPacket, QoS } from './packet.js'
import type { Reader } from './reader.js'

// Protocol name "MQTT" and level 4 (3.1.1) [MQTT-3.1.2-1] [MQTT-3.1.2-2].
const PROTOCOL = Uint8Array.of(0, 4, 77, 81, 84, 84, 4)

/** CONNECT [MQTT-3.1]. */
export function encodeConnect(p: ConnectPacket): Uint8Array {
  const { will } = p
  const flags =
    (p.username === undefined ? 0 : 0x80) |
    (p.password === undefined ? 0 : 0x40) |
    (will ? 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0) : 0) |
    (p.cleanSession ? 0x02 : 0)
  const parts = [PROTOCOL, Uint8Array.of(flags), u16(p.keepaliveSec), ...text(p.clientId, 'client identifier', 'ECLIENTID')]
  if (will) parts.push(...text(will.topic, 'will topic', 'ETOPIC'), ...field(will.payload, 'will payload'))
  if (p.username !== undefined) parts.push(...text(p.username, 'user name', 'EOPTION'))
  if (p.password !== undefined) parts.push(...field(p.password, 'password'))
  return packet(0x10, parts)
}

/** CONNECT, as a broker reads it: checks the flags' rules [MQTT-3.1.2]. */
export function decodeConnect(r: Reader): ConnectPacket {
  const name = r.string()
  const level = r.u8()
  if (name !== 'MQTT' || level !== 4) {
    throw r.fail(`protocol "${name}" level ${level} is not MQTT 3.1.1 [MQTT-3.1.2-1] [MQTT-3.1.2-2]`)
  }
  const flags = r.u8()
  if (flags & 0x01) throw r.fail('the reserved connect flag is set [MQTT-3.1.2-3]')
  const willQos = (flags >> 3) & 3
  if (!(flags & 0x04) && (willQos || flags & 0x20)) throw r.fail('will QoS or retain set without a will [MQTT-3.1.2-13] [MQTT-3.1.2-15]')
  if (willQos === 3) throw r.fail('will QoS 3 [MQTT-3.1.2-14]')
  if (!(flags & 0x80) && flags & 0x40) throw r.fail('a password without a user name [MQTT-3.1.2-22]')
  const keepaliveSec = r.u16() // on the wire before the client id
  const p: ConnectPacket = { type: 'connect', clientId: r.string(), cleanSession: (flags & 0x02) !== 0, keepaliveSec }
  if (flags & 0x04) p.will = { topic: r.string(), payload: r.field(), qos: willQos as QoS, retain: (flags & 0x20) !== 0 }
  if (flags & 0x80) p.username = r.string()
  if (flags & 0x40) p.password = r.field()
  if (r.left) throw r.fail('bytes after the last field [MQTT-3.1.3]', 'EREADLEN')
  return p
}
