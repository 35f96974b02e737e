import { MqttError, type ErrorCode } from '@x/errno'

const encoder = new TextEncoder()
// fatal: malformed UTF-8, overlong forms and encoded surrogates are errors, not U+FFFD [MQTT-1.5.3-1].
// ignoreBOM: a leading 0xEF 0xBB 0xBF is U+FEFF and must not be stripped [MQTT-1.5.3-3].
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The largest Remaining Length four bytes can encode [MQTT-2.2.3]. */
export const MAX_REMAINING_LENGTH = 268_435_455

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text)

/** How many bytes a string takes in UTF-8, without encoding it (a lone surrogate counts as U+FFFD). */
export function utf8Length(text: string): number {
  let n = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2 // a surrogate pair: 4 bytes for 2 UTF-16 units
      i++
    } else n += 2
  }
  return n
}

/** The text of UTF-8 bytes, or `undefined` when they are not well-formed UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** A big-endian two-byte integer. */
export const u16 = (n: number): Uint8Array => Uint8Array.of(n >> 8, n & 255)

/** A length-prefixed field [MQTT-1.5.3]: two length bytes, then the bytes. */
export function field(bytes: Uint8Array, name: string): Uint8Array[] {
  if (bytes.length > 65_535) {
    throw new MqttError('ESTRTOLONG', `The ${name} is ${bytes.length} bytes long; MQTT allows at most 65,535 [MQTT-1.5.3]`)
  }
  return [u16(bytes.length), bytes]
}

/**
 * A length-prefixed UTF-8 string field: well-formed [MQTT-1.5.3-1], no U+0000 [MQTT-1.5.3-2].
 * A lone surrogate would silently become U+FFFD: refused instead, with the caller's error code.
 */
export function text(value: string, name: string, code: ErrorCode): Uint8Array[] {
  if (value.includes('\0') || !value.isWellFormed()) {
    throw new MqttError(code, `Invalid ${name} ${JSON.stringify(value)}: U+0000 or a lone surrogate [MQTT-1.5.3-1] [MQTT-1.5.3-2]`)
  }
  return field(utf8(value), name)
}

// Small packets are cut from a shared slab, as Node's Buffer pool does: allocating a zero-filled
// Uint8Array costs more than encoding a kilobyte. A region is never handed out twice.
const SLAB = 64 * 1024
let slab = new Uint8Array(0)
let slabUsed = 0

function alloc(n: number): Uint8Array {
  if (n > SLAB / 8) return new Uint8Array(n)
  if (slabUsed + n > slab.length) {
    slab = new Uint8Array(SLAB)
    slabUsed = 0
  }
  return slab.subarray(slabUsed, (slabUsed += n))
}

/**
 * A whole packet: the first byte, the Remaining Length [MQTT-2.2.3], then the parts.
 * Refuses a packet larger than MQTT can carry before allocating it.
 */
export function packet(first: number, parts: Uint8Array[]): Uint8Array {
  let length = 0
  for (const part of parts) length += part.length
  if (length > MAX_REMAINING_LENGTH) {
    throw new MqttError(
      'ETOOLARGE',
      `The packet would carry ${length} bytes after its header; MQTT allows at most 268,435,455 [MQTT-2.2.3]`,
    )
  }
  const out = alloc(2 + (length > 127 ? 1 : 0) + (length > 16_383 ? 1 : 0) + (length > 2_097_151 ? 1 : 0) + length)
  out[0] = first
  let at = 1
  let rest = length
  do {
    out[at++] = (rest & 127) | (rest > 127 ? 128 : 0)
    rest >>>= 7
  } while (rest > 0)
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
