import { MqttError, SLOST, SREFUSED, SUNKNOWNPID, type AckProperties, type QoS } from '@x/simple'
import type { Outbox } from './outbox.js'
import type { Subscriptions } from './subscriptions.js'

/** MQTT 5: reason codes that refuse a message for now, not for good (quota exceeded, server busy): it goes again after a backoff. */
const FOR_NOW = new Set([0x97, 0x89])

/**
 * MQTT 5: PUBCOMP's only refusal, "Packet Identifier not found" (no PUBACK or PUBREC carries it).
 * The broker took the message at its accepting PUBREC and has released the id already: a PUBREL
 * of ours reached it before a reconnection or a restart, and its PUBCOMP did not reach us. The
 * message is delivered; a 'refused' would have the program send it twice.
 */
const PUBCOMP_PID_NOT_FOUND = 0x92

/** What an acknowledgement asks of the client beyond settling: report a refused renewal, or hold sending back a while. */
export interface Acknowledged {
  /** A refused renewal, which no caller waits for: reported as 'error'. */
  refused?: MqttError
  /** MQTT 5: the broker is over its quota or busy: the message is queued again, and sending waits a backoff. */
  busy?: boolean
  /** A message was delivered: the broker takes messages again. */
  delivered?: boolean
}

// The answers without a refusal, made once: one is given for every acknowledgement.
const NOTHING: Acknowledged = Object.freeze({})
const DELIVERED: Acknowledged = Object.freeze({ delivered: true })
const BUSY: Acknowledged = Object.freeze({ busy: true })

/** The reason code and Reason String of a refusal, for messages and the error's fields. */
function refusal(code: number | undefined, properties: AckProperties | undefined): { said: string; details: object } {
  const reasonString = properties?.reasonString
  const said = `${code === undefined ? 'refused' : `reason code 0x${code.toString(16).padStart(2, '0')}`}${reasonString === undefined ? '' : `: "${reasonString}"`}`
  return { said, details: { ...(code === undefined ? {} : { reasonCode: code }), ...(reasonString === undefined ? {} : { reasonString }) } }
}

/**
 * A status from the simple client (connected to `server`) settles the operation waiting for it:
 * delivered, refused (ESUBACKFAIL, or on MQTT 5 EREJECTED for a message), or lost with a session
 * the broker did not keep (back to the queue). On MQTT 5 a message refused for now (0x97 quota
 * exceeded, 0x89 server busy) is not delivered: it goes back to the queue, to go again after a
 * backoff.
 */
export function acknowledge(
  outbox: Outbox,
  subscriptions: Subscriptions,
  server: string,
  pid: number,
  status: number,
  code: number | undefined,
  properties?: AckProperties,
): Acknowledged {
  if (status === SUNKNOWNPID) return NOTHING
  const op = outbox.acknowledged(pid)
  if (!op) return NOTHING
  if (status === SLOST) outbox.putBack(op)
  else if (op.kind === 'publish') {
    if (status !== SREFUSED || code === PUBCOMP_PID_NOT_FOUND) {
      outbox.settle(op)
      return DELIVERED
    }
    if (FOR_NOW.has(code as number)) {
      outbox.putBack(op)
      return BUSY
    }
    const { said, details } = refusal(code, properties)
    outbox.settle(
      op,
      new MqttError('EREJECTED', `The broker refused the message to "${op.message.topic}": ${said}`, {
        topic: op.message.topic,
        pid,
        ...details,
      }),
    )
  } else if (op.kind === 'unsubscribe') {
    subscriptions.dropped(server, op.filter)
    if (status !== SREFUSED) outbox.settle(op)
    else {
      const { said, details } = refusal(code, properties)
      outbox.settle(
        op,
        new MqttError('EREJECTED', `The broker refused to unsubscribe from "${op.filter}": ${said}`, { topic: op.filter, pid, ...details }),
      )
    }
  } else if (status !== SREFUSED) {
    subscriptions.granted(server, op.filter, op.qos, op.seq, op.options)
    outbox.settle(op, undefined, code as QoS)
  } else {
    subscriptions.refused(server, op.filter, op.renewal)
    const { said, details } = code === 0x80 || code === undefined ? { said: 'SUBACK 0x80', details: {} } : refusal(code, properties)
    const error = new MqttError('ESUBACKFAIL', `The broker refused the subscription to "${op.filter}" (${said})`, {
      topic: op.filter,
      pid,
      ...details,
    })
    outbox.settle(op, error)
    if (op.renewal) return { refused: error }
  }
  return NOTHING
}
