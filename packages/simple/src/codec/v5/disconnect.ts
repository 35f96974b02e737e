import { packet } from '../bytes.js'
import { PROTOCOL_ERROR } from './errors.js'
import type { AuthPacketV5, DisconnectPacketV5 } from './packet.js'
import { decodeReason, encodeReason } from './reason.js'
import type { ReaderV5 } from './reader.js'

/** DISCONNECT (MQTT 5.0 §3.14): reason code 0 and no properties is the 2-byte packet. */
export function encodeDisconnectV5(p: DisconnectPacketV5): Uint8Array {
  return packet(0xe0, encodeReason('disconnect', p.reasonCode, p.properties))
}

/** A DISCONNECT decoder for what `sender` sends: a broker may not send a Session Expiry Interval [MQTT-3.14.2-2]. */
export function disconnectDecoderV5(sender: 'broker' | 'client'): (r: ReaderV5) => DisconnectPacketV5 {
  return (r) => {
    const { reasonCode, properties } = decodeReason(r, 'disconnect')
    if (sender === 'broker' && properties.sessionExpiryInterval !== undefined) {
      throw r.error('a Session Expiry Interval from the broker [MQTT-3.14.2-2]', PROTOCOL_ERROR)
    }
    return { type: 'disconnect', reasonCode, properties }
  }
}

/** AUTH (MQTT 5.0 §3.15): reason code 0 and no properties is the 2-byte packet. */
export function encodeAuthV5(p: AuthPacketV5): Uint8Array {
  return packet(0xf0, encodeReason('auth', p.reasonCode, p.properties))
}

/**
 * AUTH: with properties, an Authentication Method among them (MQTT 5.0 §3.15.2.2.2). Without any
 * (the short forms the standard allows, or an empty property list), the method is the one the
 * exchange began with: the client checks that, not the codec.
 */
export function decodeAuthV5(r: ReaderV5): AuthPacketV5 {
  const { reasonCode, properties } = decodeReason(r, 'auth')
  if (properties.authenticationMethod === undefined && Object.keys(properties).length) {
    throw r.error('properties without an Authentication Method (MQTT 5.0 §3.15.2.2.2)', PROTOCOL_ERROR)
  }
  return { type: 'auth', reasonCode, properties }
}
