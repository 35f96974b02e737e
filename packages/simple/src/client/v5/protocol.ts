/**
 * MQTT 5.0 for MqttClient: what differs from 3.1.1, in one module the client loads with
 * `import()` at the first connect() with `protocolVersion: 5`, so a 3.1.1 program never carries
 * it. Everything here acts on the same Core, Conn and Session as the 3.1.1 path.
 */
import { encodeConnectV5 } from '../../codec/v5/connect.js'
import { PacketDecoderV5 } from '../../codec/v5/decoder.js'
import { fromServerV5 } from '../../codec/v5/direction.js'
import { encodeDisconnectV5 } from '../../codec/v5/disconnect.js'
import { inboundError, PROTOCOL_ERROR } from '../../codec/v5/errors.js'
import type { ConnackPacketV5, DisconnectProperties, ServerPacketV5 } from '../../codec/v5/packet.js'
import { decodeSkippedPublishV5, SKIPPED_HEAD_V5 } from '../../codec/v5/publish.js'
import type { PacketDecoder } from '../../codec/decoder.js'
import type { ServerPacket } from '../../codec/packet.js'
import { fromUtf8 } from '../../codec/bytes.js'
import { bytesOf, fail } from '../arguments.js'
import { accept } from '../connecting.js'
import { write, type Core } from '../core.js'
import { connackOutcome } from '../handshake.js'
import type { Settings } from '../options.js'
import { connOf, type Conn, type State } from '../state.js'
import { OutboundAliases } from './aliases.js'
import { authenticate } from './auth.js'
import type { ConnV5 } from './conn.js'
import { connackRefusal } from './refusal.js'
import { reasonName } from '../../codec/v5/reason-names.js'

export { connV5 } from './conn.js'
export { arrived, react } from './inbound.js'
export { publish, subscribe, unsubscribe } from './outbound.js'
export { refuse } from './goodbye.js'

/** CONNECT on MQTT 5: Clean Start for cleanSession, the `properties` option, the will's properties. */
export function connectPacket(core: Core, cleanSession: boolean): Uint8Array {
  const o = core.o
  const will = core.will
  if (will?.properties?.payloadFormatIndicator && fromUtf8(will.payload) === undefined)
    throw fail(
      'EPAYLOAD',
      'Cannot connect: the will says payloadFormatIndicator UTF-8, and its payload is not well-formed UTF-8 [MQTT-3.1.3-11]',
      'connect',
    )
  return encodeConnectV5({
    type: 'connect',
    clientId: o.clientId,
    cleanStart: cleanSession,
    keepaliveSec: o.keepaliveSec,
    ...(o.user === undefined ? {} : { username: o.user }),
    // MQTT 5.0 allows a password without a user name (MQTT 5.0 §3.1.2.9).
    ...(o.password === undefined ? {} : { password: bytesOf(o.password, 'connect') }),
    ...(core.will ? { will: core.will } : {}),
    ...(o.properties ? { properties: o.properties } : {}),
  })
}

/**
 * The decoder of what the broker sends. With a `maximumPacketSize` of its own the client told
 * the broker its limit: a larger packet breaks the rule (Packet Too Large, 0x95). Without one,
 * a PUBLISH over `maxPacketBytes` is a poison message skipped and reported, as on 3.1.1; its
 * properties are read all the same (a Topic Alias in them counts on this connection).
 */
export function decoderOf(o: Settings): PacketDecoder<ServerPacket> {
  const told = o.properties?.maximumPacketSize
  const direction = told === undefined ? { ...fromServerV5, skipped: decodeSkippedPublishV5, skippedHead: SKIPPED_HEAD_V5 } : fromServerV5
  return new PacketDecoderV5(direction, told ?? o.maxPacketBytes) as unknown as PacketDecoder<ServerPacket>
}

/**
 * A packet before CONNACK: an AUTH of enhanced authentication, or the CONNACK, whose limits the
 * connection keeps; then the client goes online as on 3.1.1.
 */
export function handshake(core: Core, state: Extract<State, { name: 'connecting' }>, packet: ServerPacket): void {
  const p = packet as ServerPacketV5
  const conn = state.conn
  if (p.type === 'auth') return authenticate(core, conn, p)
  if (p.type !== 'connack') throw inboundError(PROTOCOL_ERROR, `${p.type.toUpperCase()} before CONNACK [MQTT-3.2.0-1]`, 'ECONLENGTH')
  if (p.reasonCode >= 0x80) return accept(core, state, connackRefusal(p, core.where))
  const props = p.properties ?? {}
  const method = core.o.properties?.authenticationMethod
  if (props.authenticationMethod !== undefined && props.authenticationMethod !== method) {
    const said = method === undefined ? 'CONNECT named none [MQTT-4.12.0-6]' : `CONNECT named ${JSON.stringify(method)} [MQTT-4.12.0-5]`
    throw inboundError(
      PROTOCOL_ERROR,
      `A CONNACK with the Authentication Method ${JSON.stringify(props.authenticationMethod)}; ${said}`,
      'ECONLENGTH',
    )
  }
  const outcome = connackOutcome({ type: 'connack', sessionPresent: p.sessionPresent, returnCode: 0 }, state.cleanSession, core.where)
  const v5 = conn.v5 as ConnV5
  if (typeof outcome === 'boolean') agree(core, v5, p)
  accept(core, state, outcome, (again) => resend(core, conn, again))
  for (const pid of core.session.held) v5.inbound.add(pid)
}

/**
 * What a resumed session sends again, under the new CONNACK's Receive Maximum [MQTT-3.3.4-7]
 * (the count starts again with each connection, MQTT 5.0 §4.9): as many as it allows now, the
 * rest as slots free, before any new publish. A PUBLISH the new CONNACK rules out (over its
 * Maximum Packet Size, above its Maximum QoS) is lost instead (SLOST): sent, the broker would
 * close the link for it [MQTT-3.2.2-15] [MQTT-3.2.2-11], at every reconnection.
 */
function resend(core: Core, conn: Conn, again: Uint8Array[]): void {
  const { flow, limits } = conn.v5 as ConnV5
  const session = core.session
  let i = 0
  for (const [pid, entry] of session.pending) {
    const bytes = again[i++] as Uint8Array
    const first = bytes[0] as number
    if (entry.ack !== 'puback' && entry.ack !== 'pubcomp') write(conn, bytes)
    else if (first >> 4 === 3 && (bytes.length > (limits.maximumPacketSize ?? Infinity) || ((first >> 1) & 3) > (limits.maximumQoS ?? 2))) {
      session.pending.delete(pid)
      session.lost.push(pid)
    } else
      flow.later(() => {
        if (connOf(core.state) !== conn) return
        flow.sent(pid)
        write(conn, bytes)
      })
  }
}

/** What the CONNACK sets for this connection, and for the client. */
function agree(core: Core, v5: ConnV5, p: ConnackPacketV5): void {
  const props = p.properties ?? {}
  v5.limits = props
  v5.flow.max = props.receiveMaximum ?? 65_535
  v5.keepaliveSec = props.serverKeepAlive
  const aliases = props.topicAliasMaximum ?? 0
  v5.aliasesOut = core.o.topicAliases && aliases ? new OutboundAliases(aliases) : undefined
  if (props.assignedClientIdentifier !== undefined) core.clientId = props.assignedClientIdentifier
  core.connack = { sessionPresent: p.sessionPresent, reasonCode: p.reasonCode, properties: props }
}

// The DISCONNECT reason codes a client may send (MQTT 5.0 §3.14.2.1: the others are the server's).
const CLIENT_DISCONNECT = new Set([0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99])

/** The DISCONNECT of `disconnect({ reasonCode, properties })`; `undefined` for the plain one. */
export function disconnectPacket(
  core: Core,
  reasonCode: number | undefined,
  properties: DisconnectProperties | undefined,
): Uint8Array | undefined {
  if (reasonCode === undefined && properties === undefined) return undefined
  if (reasonCode !== undefined && !CLIENT_DISCONNECT.has(reasonCode)) {
    const shown = typeof reasonCode === 'number' ? reasonName(reasonCode) : String(reasonCode)
    throw fail(
      'EOPTION',
      `Cannot disconnect with reason code ${shown}: a client may not send it (MQTT 5.0 §3.14.2.1) [MQTT-3.14.2-1]`,
      'disconnect',
    )
  }
  if (properties?.sessionExpiryInterval && !core.o.properties?.sessionExpiryInterval) {
    throw fail('EOPTION', 'Cannot disconnect: a Session Expiry Interval when CONNECT set none (0) [MQTT-3.14.2-2]', 'disconnect')
  }
  return encodeDisconnectV5({ type: 'disconnect', ...(reasonCode === undefined ? {} : { reasonCode }), ...(properties && { properties }) })
}
