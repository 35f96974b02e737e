import { utf8Length, type Session } from '@x/simple'
import type { ResendEncoder } from './durable-resend.js'
import type { Durability, Restored } from './durable.js'
import type { Message, RestoredInfo } from './events.js'
import type { Outbox, PublishOp } from './outbox.js'
import type { Subscriptions } from './subscriptions.js'

/** How a restored message's outcome is told: its publish() promise died with the process before. */
export interface Outcomes {
  delivered(message: Message): void
  failed(message: Message, error: unknown): void
}

/**
 * Puts what a store gave back where a running client keeps it: in-flight messages into the simple
 * client's session (their PUBLISH encoded by `resend`, sent again with DUP if the broker kept the
 * session, or their PUBREL if PUBREC had come) and the outbox's in-flight map; queued messages at
 * the front of the queue, in order, ahead of anything published before connect(); inbound QoS 2 packet ids into the
 * session (their messages are not delivered again); subscriptions into what is renewed when the
 * broker has no session. Queue bounds do not apply: what is restored is owed.
 */
export function restoreInto(
  restored: Restored,
  durable: Durability,
  outbox: Outbox,
  session: Session,
  subscriptions: Subscriptions,
  resend: ResendEncoder,
  outcomes: Outcomes,
): RestoredInfo {
  const inFlight: Array<[number, PublishOp]> = []
  const queued: PublishOp[] = []
  for (const { seq, message, flight, queuedAt } of restored.messages) {
    const op = outbox.message(
      message,
      utf8Length(message.topic) + message.payload.length,
      () => outcomes.delivered(message),
      (error) => outcomes.failed(message, error),
      queuedAt || undefined, // its expiry interval counts from publish(), before the restart
    )
    durable.adopt(op, seq, flight)
    if (flight && !session.pending.has(flight.pid)) {
      session.pending.set(flight.pid, {
        ack: message.qos > 1 ? 'pubcomp' : 'puback',
        packet: resend(op, flight.pid),
        ...(flight.released && { released: true }),
        deadline: Infinity,
      })
      inFlight.push([flight.pid, op])
    } else queued.push(op)
  }
  outbox.restore(inFlight, queued, Date.now())
  for (const pid of restored.inbound) session.held.add(pid)
  for (const { filter, qos, options } of restored.subscriptions) subscriptions.restored(filter, qos, options)
  for (const filter of restored.unsubscribing) subscriptions.restoredUnsubscribing(filter)
  durable.started(true)
  return {
    queued: queued.length,
    inFlight: inFlight.length,
    inbound: restored.inbound.length,
    subscriptions: restored.subscriptions.length,
  }
}
