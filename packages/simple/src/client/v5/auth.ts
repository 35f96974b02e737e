import { MqttError } from '@x/errno'
import { encodeAuthV5 } from '../../codec/v5/disconnect.js'
import { inboundError, PROTOCOL_ERROR } from '../../codec/v5/errors.js'
import type { AuthPacketV5 } from '../../codec/v5/packet.js'
import { linkFailed, write, type Core } from '../core.js'
import { connOf, type Conn } from '../state.js'
import { goodbye } from './goodbye.js'

const CONTINUE = 0x18
// A client may not send 0x87 (not authorized) or 0x8C (bad authentication method): those are the server's (MQTT 5.0 §3.14.2.1).
const UNSPECIFIED = 0x80

/**
 * Enhanced authentication (MQTT 5.0 §4.12): an AUTH from the broker goes to `onAuth`, whose
 * answer goes back as the data of the client's AUTH, with the method the exchange began with.
 * An AUTH when CONNECT named no method is a Protocol Error [MQTT-4.12.0-6]; so is another method
 * [MQTT-4.12.0-5]. A failing `onAuth` ends the connection (DISCONNECT "unspecified error").
 */
export function authenticate(core: Core, conn: Conn, p: AuthPacketV5): void {
  const method = core.o.properties?.authenticationMethod
  const said = p.properties?.authenticationMethod
  if (method === undefined)
    throw inboundError(PROTOCOL_ERROR, 'An AUTH, but CONNECT named no Authentication Method [MQTT-4.12.0-6]', 'ERESPONSE')
  if (said !== undefined && said !== method) {
    throw inboundError(
      PROTOCOL_ERROR,
      `An AUTH with the method ${JSON.stringify(said)}, not ${JSON.stringify(method)} [MQTT-4.12.0-5]`,
      'ERESPONSE',
    )
  }
  // Success (0x00) ends a re-authentication: nothing to answer.
  if (p.reasonCode !== CONTINUE) return
  const onAuth = core.o.onAuth
  const failed = (why: string, cause?: unknown): void => {
    if (connOf(core.state) !== conn) return
    goodbye(core, conn, UNSPECIFIED)
    linkFailed(core, conn, new MqttError('ECONAUTH', `Enhanced authentication (${method}) failed: ${why}`, { operation: 'connect', cause }))
  }
  if (!onAuth) return failed('the broker asked to continue and no onAuth option answers')
  const challenge = { method, data: p.properties?.authenticationData, reasonCode: CONTINUE, properties: p.properties ?? {} }
  // Called once the packets of this chunk are handled, and awaited: an answer may take a round trip elsewhere.
  void Promise.resolve()
    .then(() => onAuth(challenge))
    .then(
      (data) => {
        if (connOf(core.state) !== conn) return
        if (!(data instanceof Uint8Array)) return failed(`onAuth returned ${typeof data}, not a Uint8Array`)
        write(
          conn,
          encodeAuthV5({ type: 'auth', reasonCode: CONTINUE, properties: { authenticationMethod: method, authenticationData: data } }),
        )
      },
      (error: unknown) => failed(`onAuth threw: ${error instanceof Error ? error.message : String(error)}`, error),
    )
}
