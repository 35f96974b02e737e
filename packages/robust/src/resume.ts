import type { Outbox } from './outbox.js'
import type { Subscriptions } from './subscriptions.js'

/**
 * Just connected to `server`: what to send again. With a session, the simple client has resent
 * the unacknowledged packets itself [MQTT-4.4.0-1]: they are awaited afresh. Without one, what was
 * in flight is unknown to the broker: it goes back to the front of the queues, in order (their
 * packet ids come back as SLOST, which finds nothing). Either way, ahead of everything, the
 * subscription changes that make the server's session hold what the calls asked for: all of them
 * after a lost session, the difference on a server whose session the client last saw before
 * changes made elsewhere, none otherwise (without `resubscribe`, only the unsubscribes).
 */
export function resume(outbox: Outbox, subscriptions: Subscriptions, server: string, sessionPresent: boolean, resubscribe: boolean): void {
  if (sessionPresent) outbox.resumed(Date.now())
  else outbox.requeueInFlight()
  subscriptions.connected(server, sessionPresent)
  const changes = subscriptions.changesFor(server, outbox.pendingFilters(), resubscribe)
  outbox.controlFirst(changes.map(({ kind, filter, qos, options }) => outbox.control(kind, filter, qos, undefined, options)))
}
