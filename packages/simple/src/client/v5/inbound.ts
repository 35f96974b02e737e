import { SDELIVERED, SREFUSED, SUNKNOWNPID } from '@x/errno'
import { encodeAck } from '../../codec/ack.js'
import { encodeAckV5 } from '../../codec/v5/ack.js'
import { inboundError, PROTOCOL_ERROR, TOPIC_ALIAS_INVALID } from '../../codec/v5/errors.js'
import type { ServerPacketV5 } from '../../codec/v5/packet.js'
import type { ServerPacket } from '../../codec/packet.js'
import { linkFailed, write, type Core } from '../core.js'
import type { Reaction } from '../inbound.js'
import type { Conn } from '../state.js'
import { authenticate } from './auth.js'
import type { ConnV5 } from './conn.js'
import { disconnected } from './refusal.js'

const RECEIVE_MAXIMUM_EXCEEDED = 0x93
const NOT_FOUND = 0x92

/**
 * What must happen when an MQTT 5 packet arrives, before `checkMsg()` sees it: acknowledgements
 * free their Receive Maximum slots (and a PUBREC is answered with PUBREL at once), so a
 * `publish()` waiting for a slot goes on while the program is not calling `checkMsg()`; topic
 * aliases are resolved in arrival order; a DISCONNECT or AUTH is acted on. Returns whether the
 * packet goes on to the inbox. Throws what breaks a rule (the client then sends DISCONNECT).
 */
export function arrived(core: Core, conn: Conn, packet: ServerPacket): boolean {
  const p = packet as ServerPacketV5
  const v5 = conn.v5 as ConnV5
  const props = (p as { properties?: { reasonString?: unknown; userProperties?: unknown } }).properties
  if (
    core.o.properties?.requestProblemInformation === false &&
    (props?.reasonString ?? props?.userProperties) !== undefined &&
    p.type !== 'publish' &&
    p.type !== 'disconnect'
  ) {
    throw inboundError(
      PROTOCOL_ERROR,
      `A Reason String or User Properties on ${p.type.toUpperCase()}, after requestProblemInformation false [MQTT-3.1.2-29]`,
      'ERESPONSE',
    )
  }
  switch (p.type) {
    case 'publish':
      if (p.properties?.topicAlias !== undefined) p.topic = unaliased(core, v5, p.topic, p.properties.topicAlias)
      if (p.qos && !v5.inbound.has(p.pid as number)) {
        v5.inbound.add(p.pid as number)
        const max = core.o.properties?.receiveMaximum ?? 65_535
        if (v5.inbound.size > max) {
          throw inboundError(
            RECEIVE_MAXIMUM_EXCEEDED,
            `More than ${max} QoS 1 and 2 PUBLISHes unacknowledged, this client's Receive Maximum [MQTT-3.3.4-9]`,
          )
        }
      }
      return true
    case 'puback':
    case 'pubcomp': {
      // Only the acknowledgement that ends the exchange (an unknown id's too: its slot may be a timed-out one).
      const ack = core.session.pending.get(p.pid)?.ack
      if (ack === undefined || ack === p.type) v5.flow.free(p.pid)
      return true
    }
    case 'pubrec': {
      const entry = core.session.pending.get(p.pid)
      if ((p.reasonCode ?? 0) >= 0x80) v5.flow.free(p.pid)
      else if (entry?.ack === 'pubcomp') {
        // From now on the broker owns the message: PUBREL, not the PUBLISH, is what goes again.
        entry.released = true
        write(conn, encodeAck('pubrel', p.pid))
      } else write(conn, encodeAckV5({ type: 'pubrel', pid: p.pid, reasonCode: NOT_FOUND }))
      return true
    }
    case 'disconnect':
      linkFailed(core, conn, disconnected(p, core.where))
      return false
    case 'auth':
      authenticate(core, conn, p)
      return false
    default:
      return true
  }
}

/** The topic an inbound PUBLISH stands for: it sets its alias, or uses one set before (MQTT 5.0 §3.3.2.3.4). */
function unaliased(core: Core, v5: ConnV5, topic: string, alias: number): string {
  const max = core.o.properties?.topicAliasMaximum ?? 0
  if (alias < 1 || alias > max) {
    throw inboundError(
      TOPIC_ALIAS_INVALID,
      `Topic Alias ${alias}: this client's Topic Alias Maximum is ${max} [MQTT-3.3.2-8] [MQTT-3.3.2-9]`,
    )
  }
  if (topic) {
    v5.aliasesIn.set(alias, topic)
    return topic
  }
  const known = v5.aliasesIn.get(alias)
  if (known === undefined)
    throw inboundError(TOPIC_ALIAS_INVALID, `Topic Alias ${alias} was never set on this connection (MQTT 5.0 §3.3.2.3.4)`)
  return known
}

/** The properties of an acknowledgement, when it has any. */
const some = (properties: object | undefined): object | undefined => (properties && Object.keys(properties).length ? properties : undefined)

/**
 * The QoS rules for one MQTT 5 packet, as `react()` does them for 3.1.1, with reason codes: an
 * acknowledgement's code and properties go with its status, a code ≥ 0x80 is `SREFUSED` (a
 * refusing PUBREC ends its exchange: no PUBREL).
 */
export function react(core: Core, conn: Conn | undefined, packet: ServerPacket): Reaction {
  const p = packet as ServerPacketV5 & { oversize?: number }
  const { pending, held } = core.session
  const inbound = conn?.v5?.inbound
  switch (p.type) {
    case 'publish': {
      const pid = p.pid as number
      const fresh = p.qos < 2 || !held.has(pid)
      if (p.qos > 1) held.add(pid)
      else inbound?.delete(pid)
      const reaction: Reaction = fresh ? { message: p as never } : {}
      if (p.qos) reaction.reply = encodeAck(p.qos > 1 ? 'pubrec' : 'puback', pid)
      return reaction
    }
    case 'pubrel': {
      const known = held.delete(p.pid)
      inbound?.delete(p.pid)
      return { reply: known ? encodeAck('pubcomp', p.pid) : encodeAckV5({ type: 'pubcomp', pid: p.pid, reasonCode: NOT_FOUND }) }
    }
    case 'pingresp':
    case 'disconnect':
    case 'auth':
      return {}
    case 'connack':
      return { error: inboundError(PROTOCOL_ERROR, 'A second CONNACK [MQTT-3.2.0-2]', 'ERESPONSE') }
    default: {
      const { pid } = p
      const codes = 'reasonCodes' in p ? p.reasonCodes : [p.reasonCode ?? 0]
      const code = codes[0] as number
      const properties = some(p.properties)
      const refused = code >= 0x80
      // A PUBREC that accepts is only half way: PUBCOMP ends the exchange.
      if (p.type === 'pubrec' && !refused) return {}
      const ack = p.type === 'pubrec' ? 'pubcomp' : p.type
      if (pending.get(pid)?.ack !== ack) return { status: { pid, status: SUNKNOWNPID, granted: code, ...(properties && { properties }) } }
      if (codes.length > 1) {
        const error = `${p.type.toUpperCase()} with ${codes.length} reason codes for 1 filter [MQTT-3.9.3-1] [MQTT-3.11.3-1]`
        return { error: inboundError(PROTOCOL_ERROR, error, p.type === 'suback' ? 'ESUBACKUNKNOWN' : 'ERESPONSE') }
      }
      pending.delete(pid)
      return { status: { pid, status: refused ? SREFUSED : SDELIVERED, granted: code, ...(properties && { properties }) } }
    }
  }
}
