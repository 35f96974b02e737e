import type { EmptyPacket, EmptyType } from './packet.js'
import type { Reader } from './reader.js'

/** The whole of PINGREQ, PINGRESP and DISCONNECT: a first byte and a zero Remaining Length. */
export const PINGREQ = Uint8Array.of(0xc0, 0)
export const PINGRESP = Uint8Array.of(0xd0, 0)
export const DISCONNECT = Uint8Array.of(0xe0, 0)

/** A decoder for one of the packets that carry nothing after the fixed header. */
export function decodeEmpty<T extends EmptyType>(type: T): (r: Reader) => EmptyPacket<T> {
  return (r) => {
    r.size(0)
    return { type }
  }
}
