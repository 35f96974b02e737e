import { MqttError, type ErrorCode } from '@x/errno'
import { MAX_REMAINING_LENGTH, u16, utf8 } from '../bytes.js'

/** The largest value of a Variable Byte Integer [MQTT-1.5.5]: the Remaining Length is one. */
export const MAX_VARINT = MAX_REMAINING_LENGTH

/** A Variable Byte Integer [MQTT-1.5.5], in the fewest bytes [MQTT-1.5.5-1]. */
export function varint(n: number): Uint8Array {
  const out: number[] = []
  let rest = n
  do {
    out.push((rest & 127) | (rest > 127 ? 128 : 0))
    rest >>>= 7
  } while (rest > 0)
  return Uint8Array.from(out)
}

/** A Four Byte Integer, big-endian [MQTT-1.5.3]. */
export const u32 = (n: number): Uint8Array => Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255)

/** Binary Data [MQTT-1.5.6]: two length bytes, then at most 65,535 bytes. */
export function binary(bytes: Uint8Array, name: string, code: ErrorCode = 'EOPTION'): Uint8Array[] {
  if (bytes.length > 65_535) throw new MqttError(code, `The ${name} is ${bytes.length} bytes long; MQTT allows at most 65,535 [MQTT-1.5.6]`)
  return [u16(bytes.length), bytes]
}

/**
 * A UTF-8 Encoded String [MQTT-1.5.4]: well-formed, no U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2], at
 * most 65,535 bytes. A lone surrogate would silently become U+FFFD: refused instead.
 */
export function string(value: string, name: string, code: ErrorCode = 'EOPTION'): Uint8Array[] {
  if (value.includes('\0') || !value.isWellFormed()) {
    throw new MqttError(code, `Invalid ${name} ${JSON.stringify(value)}: U+0000 or a lone surrogate [MQTT-1.5.4-1] [MQTT-1.5.4-2]`)
  }
  const bytes = utf8(value)
  if (bytes.length > 65_535)
    throw new MqttError(code, `The ${name} is ${bytes.length} UTF-8 bytes long; MQTT allows at most 65,535 [MQTT-1.5.4]`)
  return [u16(bytes.length), bytes]
}
