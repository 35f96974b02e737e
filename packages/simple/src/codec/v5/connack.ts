import { packet } from '../bytes.js'
import { hex, PROTOCOL_ERROR, UNSUPPORTED_PROTOCOL_VERSION } from './errors.js'
import type { ConnackPacketV5 } from './packet.js'
import { decodeProperties, encodeProperties } from './properties.js'
import { checkReasonCode } from './reason.js'
import type { ReaderV5 } from './reader.js'
import { REASON_CODES } from './reason-codes.js'

/** CONNACK (MQTT 5.0 §3.2), as a broker sends it. */
export function encodeConnackV5(p: ConnackPacketV5): Uint8Array {
  checkReasonCode('connack', p.reasonCode)
  return packet(0x20, [Uint8Array.of(p.sessionPresent ? 1 : 0, p.reasonCode), ...encodeProperties(p.properties, 'connack')])
}

/**
 * CONNACK (MQTT 5.0 §3.2). Any fault is ECONLENGTH (29), umqtt.simple2's "bad CONNACK", with the
 * reason code the client must send. The two-byte CONNACK 1 of a broker that speaks only 3.1.1
 * (its answer to protocol level 5) is ECONPROTOCOL (21), saying so.
 */
export function decodeConnackV5(r: ReaderV5): ConnackPacketV5 {
  const flags = r.u8()
  const reasonCode = r.u8()
  if (!r.left && flags === 0 && reasonCode === 1) {
    throw r.error(
      'an MQTT 3.1.1 CONNACK refusing the protocol version (return code 1): the broker does not speak MQTT 5.0',
      UNSUPPORTED_PROTOCOL_VERSION,
      'ECONPROTOCOL',
    )
  }
  if (flags > 1) throw r.error(`acknowledge flags ${flags}: bits 7-1 are reserved [MQTT-3.2.2-1]`)
  if (!REASON_CODES.connack.codes.has(reasonCode)) {
    throw r.error(`reason code ${hex(reasonCode)} is not one a CONNACK may carry [MQTT-3.2.2-8]`, PROTOCOL_ERROR)
  }
  if (flags && reasonCode) throw r.error(`session present with reason code ${hex(reasonCode)} [MQTT-3.2.2-6]`, PROTOCOL_ERROR)
  const properties = decodeProperties(r, 'connack')
  if (r.left) throw r.error(`${r.left} bytes after the properties (MQTT 5.0 §3.2.2.3)`)
  return { type: 'connack', sessionPresent: flags === 1, reasonCode, properties }
}
