import type { QoS } from '@x/simple'

/**
 * The filters the client is subscribed to, as the broker acknowledged them: what to subscribe
 * again when a reconnect finds no session. Requests are numbered, so an acknowledgement that
 * arrives after a later unsubscribe (of the same filter) does not bring the filter back.
 */
export class Subscriptions {
  // Both made at the first subscription change: a client that only publishes holds neither.
  #granted: Map<string, QoS> | undefined
  /** The request number of each filter's last unsubscribe. */
  #unsubscribedAt: Map<string, number> | undefined

  /** The broker granted a subscription requested as number `seq`. */
  granted(filter: string, qos: QoS, seq: number): void {
    if (seq > (this.#unsubscribedAt?.get(filter) ?? 0)) (this.#granted ??= new Map()).set(filter, qos)
  }

  /** The broker refused it (SUBACK 0x80): not to be renewed. */
  refused(filter: string): void {
    this.#granted?.delete(filter)
  }

  /** The caller unsubscribed, as request number `seq`: forgotten at once. */
  unsubscribed(filter: string, seq: number): void {
    this.#granted?.delete(filter)
    ;(this.#unsubscribedAt ??= new Map()).set(filter, seq)
  }

  /** What to subscribe again after a session was lost: every filter held, but those with a change already pending. */
  renewal(pending: ReadonlySet<string>): Array<{ filter: string; qos: QoS }> {
    const plan: Array<{ filter: string; qos: QoS }> = []
    for (const [filter, qos] of this.#granted ?? []) if (!pending.has(filter)) plan.push({ filter, qos })
    return plan
  }
}
