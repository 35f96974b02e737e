import type { Outbox } from './outbox.js'
import type { Subscriptions } from './subscriptions.js'

/**
 * Just connected: what to send again. With a session, the simple client has resent the
 * unacknowledged packets itself [MQTT-4.4.0-1]: they are awaited afresh. Without one, what was in
 * flight is unknown to the broker: it goes back to the front of the queues, in order, behind the
 * renewal of every subscription held (their packet ids come back as SLOST, which finds nothing).
 */
export function resume(outbox: Outbox, subscriptions: Subscriptions, sessionPresent: boolean, resubscribe: boolean): void {
  if (sessionPresent) return outbox.resumed(Date.now())
  outbox.requeueInFlight()
  if (!resubscribe) return
  const renew = subscriptions.renewal(outbox.pendingFilters())
  outbox.controlFirst(renew.map(({ filter, qos }) => outbox.control('subscribe', filter, qos)))
}
