import { MqttError, type ErrorCode } from '@x/errno'

/** The reason codes a receiver closes an MQTT 5.0 link with after bad input [MQTT-4.13]. */
export const MALFORMED = 0x81
export const PROTOCOL_ERROR = 0x82
export const UNSUPPORTED_PROTOCOL_VERSION = 0x84
export const TOPIC_ALIAS_INVALID = 0x94
export const PACKET_TOO_LARGE = 0x95

/** A reason code or property identifier as messages print it: `0x8f`. */
export const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`

/** An MqttError that also says which reason code the DISCONNECT answering it must carry. */
export type MqttErrorV5 = MqttError & { readonly reasonCode: number }

/**
 * An error about bytes received on an MQTT 5.0 link, with the reason code the receiver must send
 * in its DISCONNECT (0x81 Malformed Packet, 0x82 Protocol Error, …) as `reasonCode`.
 */
export function inboundError(reasonCode: number, message: string, code: ErrorCode = 'EMALFORMED', cause?: unknown): MqttErrorV5 {
  // Assigned after construction: @x/errno's details do not name `reasonCode` (yet).
  return Object.assign(new MqttError(code, message, cause === undefined ? {} : { cause }), { reasonCode })
}
