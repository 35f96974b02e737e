import type { QoS } from '@x/simple'

/** A subscription change that brings a server's session in line with the user's calls. */
export interface Change {
  kind: 'subscribe' | 'unsubscribe'
  filter: string
  qos: QoS
}

/**
 * The filters the user asked for, and what each server's session holds as far as its
 * acknowledgements told: what to send when a connection finds a session that is not as the calls
 * asked. A server that kept no session holds nothing (every filter is subscribed again); one that
 * kept a session the client last saw elsewhere, or never saw (a node of a cluster, one the client
 * comes back to after changes made on another), is told the difference. Requests are numbered,
 * so an acknowledgement that arrives after a later unsubscribe (of the same filter) does not bring
 * the filter back.
 */
export class Subscriptions {
  // Made at the first subscription change: a client that only publishes holds none of them.
  /** What the user's calls asked for, as acknowledged: filter → QoS. */
  #wanted: Map<string, QoS> | undefined
  /** The request number of each filter's last unsubscribe. */
  #unsubscribedAt: Map<string, number> | undefined
  /** Per server: the filters its session holds, as its acknowledgements said. */
  #held: Map<string, Map<string, QoS>> | undefined

  #at(server: string): Map<string, QoS> {
    const held = (this.#held ??= new Map())
    let at = held.get(server)
    if (!at) held.set(server, (at = new Map()))
    return at
  }

  /** `server` granted a subscription requested as number `seq`. */
  granted(server: string, filter: string, qos: QoS, seq: number): void {
    this.#at(server).set(filter, qos)
    if (seq > (this.#unsubscribedAt?.get(filter) ?? 0)) (this.#wanted ??= new Map()).set(filter, qos)
  }

  /** `server` refused it (SUBACK 0x80): not to be renewed, and not held there. */
  refused(server: string, filter: string): void {
    this.#at(server).delete(filter)
    this.#wanted?.delete(filter)
  }

  /** The caller unsubscribed, as request number `seq`: forgotten at once. */
  unsubscribed(filter: string, seq: number): void {
    this.#wanted?.delete(filter)
    ;(this.#unsubscribedAt ??= new Map()).set(filter, seq)
  }

  /** `server` acknowledged an unsubscribe: its session no longer holds the filter. */
  dropped(server: string, filter: string): void {
    this.#held?.get(server)?.delete(filter)
  }

  /** `server` kept no session: it holds nothing. */
  fresh(server: string): void {
    this.#held?.delete(server)
    this.#at(server)
  }

  /**
   * What `server` must be told for its session to hold what the calls asked, but for the filters
   * with a change already pending: the difference from what it held, or, for a session the client
   * knows nothing of, every filter wanted and every filter ever unsubscribed.
   */
  changesFor(server: string, pending: ReadonlySet<string>): Change[] {
    const held = this.#held?.get(server)
    const changes: Change[] = []
    for (const [filter, qos] of this.#wanted ?? []) {
      if (!pending.has(filter) && held?.get(filter) !== qos) changes.push({ kind: 'subscribe', filter, qos })
    }
    const stale = held ? held.keys() : (this.#unsubscribedAt?.keys() ?? [])
    for (const filter of stale) {
      if (!pending.has(filter) && !this.#wanted?.has(filter)) changes.push({ kind: 'unsubscribe', filter, qos: 0 })
    }
    return changes
  }
}
