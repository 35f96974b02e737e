import { packet, u16 } from '../bytes.js'
import { hex, PROTOCOL_ERROR } from './errors.js'
import type { SubackPacketV5, UnsubackPacketV5 } from './packet.js'
import { decodeProperties, encodeProperties } from './properties.js'
import { checkReasonCode } from './reason.js'
import type { ReaderV5 } from './reader.js'
import { REASON_CODES } from './reason-codes.js'

type ListAck = SubackPacketV5 | UnsubackPacketV5

/** SUBACK and UNSUBACK (MQTT 5.0 §3.9, §3.11), as a broker sends them: pid, properties, one reason code per filter. */
export function encodeListAckV5(p: ListAck): Uint8Array {
  for (const code of p.reasonCodes) checkReasonCode(p.type, code)
  return packet(p.type === 'suback' ? 0x90 : 0xb0, [u16(p.pid), ...encodeProperties(p.properties, p.type), Uint8Array.from(p.reasonCodes)])
}

/** A SUBACK or UNSUBACK decoder: one reason code or more, each one the packet may carry. A bad SUBACK is ESUBACKUNKNOWN, as on 3.1.1. */
export function listAckDecoderV5<T extends ListAck['type']>(type: T): (r: ReaderV5) => Extract<ListAck, { type: T }> {
  const { codes, rule } = REASON_CODES[type]
  const code = type === 'suback' ? 'ESUBACKUNKNOWN' : 'EMALFORMED'
  return (r) => {
    const pid = r.pid()
    const properties = decodeProperties(r, type)
    const reasonCodes = [...r.rest()]
    if (!reasonCodes.length) throw r.error(`no reason codes [${rule}]`, PROTOCOL_ERROR, code)
    const bad = reasonCodes.find((c) => !codes.has(c))
    if (bad !== undefined) throw r.error(`reason code ${hex(bad)} is not one a ${r.name} may carry [${rule}]`, PROTOCOL_ERROR, code)
    return { type, pid, reasonCodes, properties } as Extract<ListAck, { type: T }>
  }
}
