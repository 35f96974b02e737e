import { packet, u16 } from './bytes.js'
import type { AckPacket, AckType } from './packet.js'
import type { Reader } from './reader.js'

// First bytes: PUBREL carries the fixed flags 0010 [MQTT-3.6.1-1].
const FIRST = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70, unsuback: 0xb0 } as const

/** PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a packet id and nothing else. */
export function encodeAck(type: AckType, pid: number): Uint8Array {
  return packet(FIRST[type], [u16(pid)])
}

/** A decoder for one of the packet-id-only packets. */
export function decodeAck<T extends AckType>(type: T): (r: Reader) => AckPacket<T> {
  return (r) => {
    r.size(2)
    return { type, pid: r.pid() }
  }
}
