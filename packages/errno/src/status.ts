/**
 * Delivery status values passed to the status callback: simple2's three, plus `SREFUSED` and
 * `SLOST`. Every packet id a call resolved gets exactly one final status.
 */

/** No acknowledgement arrived within `messageTimeoutMs`; the packet id is forgotten. */
export const STIMEOUT = 0
/** PUBACK (QoS 1), PUBCOMP (QoS 2), SUBACK or UNSUBACK arrived for a pending packet id. */
export const SDELIVERED = 1
/** An acknowledgement for a packet id that is not pending: late, duplicate, or from a cleared session. */
export const SUNKNOWNPID = 2
/** The broker refused a subscription (SUBACK return code 0x80). */
export const SREFUSED = 3
/**
 * The packet id was pending when the broker answered a reconnect with no session: no
 * acknowledgement will ever come for it. Publish again if it matters.
 */
export const SLOST = 4

/** One of the delivery status values. */
export type DeliveryStatus = typeof STIMEOUT | typeof SDELIVERED | typeof SUNKNOWNPID | typeof SREFUSED | typeof SLOST
