import { packet, u16 } from '../bytes.js'
import type { AckPacketV5, AckTypeV5 } from './packet.js'
import { decodeReason, encodeReason } from './reason.js'
import type { ReaderV5 } from './reader.js'

// First bytes: PUBREL carries the fixed flags 0010 (MQTT 5.0 §3.6.1).
const FIRST = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const

/**
 * PUBACK, PUBREC, PUBREL, PUBCOMP (MQTT 5.0 §3.4-3.7): the packet id, then the reason code and
 * properties, left out when the code is 0 and there are none (a 2-byte body), the properties
 * left out when there are none (3 bytes).
 */
export function encodeAckV5(p: AckPacketV5): Uint8Array {
  return packet(FIRST[p.type], [u16(p.pid), ...encodeReason(p.type, p.reasonCode, p.properties)])
}

/** A decoder for one of PUBACK, PUBREC, PUBREL, PUBCOMP. */
export function ackDecoderV5<T extends AckTypeV5>(type: T): (r: ReaderV5) => AckPacketV5<T> {
  return (r) => {
    const pid = r.pid()
    return { type, pid, ...decodeReason(r, type) }
  }
}
