import { MqttError, SDELIVERED, SREFUSED, SUNKNOWNPID, type DeliveryStatus } from '@x/errno'
import { encodeAck } from '../codec/ack.js'
import type { PublishPacket, ServerPacket } from '../codec/packet.js'
import type { AckProperties } from './core.js'
import type { Session } from './session.js'

/** What one received packet asks of the client; every field is optional. */
export interface Reaction {
  /** An acknowledgement to write back. */
  reply?: Uint8Array
  /** A message for the user (delivered, or reported as skipped when `oversize` is set). */
  message?: PublishPacket
  /** A final status for one of the client's packet ids, with the SUBACK return code (MQTT 5: the reason code and the ack's properties). */
  status?: { pid: number; status: DeliveryStatus; granted?: number; properties?: AckProperties }
  /** A broken rule that ends the link. */
  error?: MqttError
}

/**
 * The QoS rules for one packet from the broker, over the session: what to answer, what to
 * deliver, which status to report. No socket, no callbacks: the client does what it returns.
 */
export function react(session: Session, p: ServerPacket): Reaction {
  const { pending, held } = session
  switch (p.type) {
    case 'publish': {
      const pid = p.pid as number
      // Inbound QoS 2 reaches the user once: the pid is held until PUBREL [MQTT-4.3.3-2].
      const fresh = p.qos < 2 || !held.has(pid)
      if (p.qos > 1) held.add(pid)
      const reaction: Reaction = fresh ? { message: p } : {}
      if (p.qos) reaction.reply = encodeAck(p.qos > 1 ? 'pubrec' : 'puback', pid)
      return reaction
    }
    case 'pubrel':
      held.delete(p.pid)
      return { reply: encodeAck('pubcomp', p.pid) }
    case 'pubrec': {
      // From now on the broker owns the message: PUBREL, not the PUBLISH, is what goes again.
      const entry = pending.get(p.pid)
      if (entry?.ack === 'pubcomp') entry.released = true
      // Answered even for an unknown id, so the broker can finish its side [MQTT-4.3.3-1].
      return { reply: encodeAck('pubrel', p.pid) }
    }
    case 'pingresp':
      return {}
    case 'connack':
      return { error: new MqttError('ERESPONSE', 'A second CONNACK [MQTT-3.2.0-1]') }
    default: {
      const { pid } = p
      if (pending.get(pid)?.ack !== p.type) return { status: { pid, status: SUNKNOWNPID } }
      if (p.type !== 'suback') {
        pending.delete(pid)
        return { status: { pid, status: SDELIVERED } }
      }
      const [granted, ...more] = p.returnCodes as [number, ...number[]]
      if (more.length) {
        const error = `SUBACK with ${p.returnCodes.length} return codes for 1 filter [MQTT-3.9.3-1]`
        return { error: new MqttError('ESUBACKUNKNOWN', error, { pid }) }
      }
      pending.delete(pid)
      return { status: { pid, status: granted === 0x80 ? SREFUSED : SDELIVERED, granted } }
    }
  }
}
