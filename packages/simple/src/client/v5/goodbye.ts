import { endLeft } from '../ending.js'
import { encodeDisconnectV5 } from '../../codec/v5/disconnect.js'
import { isReasonCode } from '../../codec/v5/reason-codes.js'
import { write, type Core } from '../core.js'
import type { Conn } from '../state.js'

/**
 * Sends DISCONNECT with `reasonCode` and leaves the link to end by itself (as `disconnect()`
 * does), so the broker reads why before the socket closes [MQTT-4.13.1-1]; `disconnect()` cuts it.
 */
export function goodbye(core: Core, conn: Conn, reasonCode: number): void {
  const link = conn.link
  if (!link) return
  write(conn, encodeDisconnectV5({ type: 'disconnect', reasonCode }))
  conn.link = undefined
  void endLeft(core, link)
}

/** After bad input: the DISCONNECT its error's reason code calls for (0x81 malformed, 0x82 protocol error, …), if any. */
export function refuse(core: Core, conn: Conn, error: { reasonCode?: number }): void {
  const code = error.reasonCode
  if (code !== undefined && code >= 0x80 && isReasonCode('disconnect', code)) goodbye(core, conn, code)
}
