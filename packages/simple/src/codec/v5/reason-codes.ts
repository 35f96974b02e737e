/**
 * The reason codes each MQTT 5.0 packet may carry (MQTT 5.0 §2.4 and the table of each packet).
 * A code the standard does not define for the packet is a Protocol Error in its receiver.
 */
import type { PropertyPacket } from './properties.js'

export type ReasonPacket = Exclude<PropertyPacket, 'will' | 'connect' | 'publish' | 'subscribe' | 'unsubscribe'>

const PUB = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]
const REL = [0x00, 0x92]

/** By packet: the codes it may carry, and the rule that says so. */
export const REASON_CODES: Record<ReasonPacket, { readonly codes: ReadonlySet<number>; readonly rule: string }> = {
  connack: {
    codes: new Set([
      0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9f,
    ]),
    rule: 'MQTT-3.2.2-8',
  },
  puback: { codes: new Set(PUB), rule: 'MQTT-3.4.2-1' },
  pubrec: { codes: new Set(PUB), rule: 'MQTT-3.5.2-1' },
  pubrel: { codes: new Set(REL), rule: 'MQTT-3.6.2-1' },
  pubcomp: { codes: new Set(REL), rule: 'MQTT-3.7.2-1' },
  suback: { codes: new Set([0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]), rule: 'MQTT-3.9.3-2' },
  unsuback: { codes: new Set([0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]), rule: 'MQTT-3.11.3-2' },
  disconnect: {
    codes: new Set([
      0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b,
      0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
    ]),
    rule: 'MQTT-3.14.2-1',
  },
  auth: { codes: new Set([0x00, 0x18, 0x19]), rule: 'MQTT-3.15.2-1' },
}

/** Whether `packet` may carry reason code `code`. */
export const isReasonCode = (packet: ReasonPacket, code: number): boolean => REASON_CODES[packet].codes.has(code)
