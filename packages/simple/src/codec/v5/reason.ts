import { MqttError } from '@x/errno'
import { hex, MALFORMED, PROTOCOL_ERROR } from './errors.js'
import { decodeProperties, encodeProperties, type Properties } from './properties.js'
import type { ReaderV5 } from './reader.js'
import { REASON_CODES, type ReasonPacket } from './reason-codes.js'

/** Refuses, before a byte is sent, a reason code the standard does not define for `packet`. */
export function checkReasonCode(packet: ReasonPacket, code: number): void {
  const { codes, rule } = REASON_CODES[packet]
  if (!codes.has(code)) {
    throw new MqttError(
      'EOPTION',
      `Invalid reason code ${typeof code === 'number' ? hex(code) : String(code)}: not one a ${packet.toUpperCase()} may carry [${rule}]`,
    )
  }
}

/** Reads a reason code, refusing one the standard does not define for `packet` (a Protocol Error). */
export function readReasonCode(r: ReaderV5, packet: ReasonPacket, code = r.code): number {
  const reasonCode = r.u8()
  const { codes, rule } = REASON_CODES[packet]
  if (!codes.has(reasonCode))
    throw r.error(`reason code ${hex(reasonCode)} is not one a ${r.name} may carry [${rule}]`, PROTOCOL_ERROR, code)
  return reasonCode
}

/**
 * The end of a PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT or AUTH: the reason code and the
 * properties, both left out when the code is 0 and there are no properties, the properties left
 * out when there are none (MQTT 5.0 §3.4.2.1, §3.14.2.1, §3.15.2.1).
 */
export function encodeReason(packet: ReasonPacket, reasonCode = 0, properties: object | undefined): Uint8Array[] {
  checkReasonCode(packet, reasonCode)
  const props = encodeProperties(properties, packet)
  if (props.length > 1) return [Uint8Array.of(reasonCode), ...props]
  return reasonCode ? [Uint8Array.of(reasonCode)] : []
}

/** Reads what `encodeReason` writes: a missing reason code is 0, missing properties none. */
export function decodeReason(r: ReaderV5, packet: ReasonPacket): { reasonCode: number; properties: Properties } {
  const reasonCode = r.left ? readReasonCode(r, packet) : 0
  const properties = r.left ? decodeProperties(r, packet) : {}
  if (r.left) throw r.error(`${r.left} bytes after the properties`, MALFORMED, 'EREADLEN')
  return { reasonCode, properties }
}
