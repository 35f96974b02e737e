import type { QoS, SubscribeOptions } from '@x/simple'

/** The server key of the session a restored client had: no server's address is empty. */
const BEFORE_RESTART = ''

/** A subscription change that brings a server's session in line with the user's calls. */
export interface Change {
  kind: 'subscribe' | 'unsubscribe'
  filter: string
  qos: QoS
  /** MQTT 5: the options the user subscribed with, asked again the same. */
  options?: SubscribeOptions | undefined
}

/** Hears of what the user's calls come to (durable sessions write it ahead to a store). */
export interface SubscriptionsObserver {
  /** A subscription the calls ask for now, as last granted. */
  subscribed(filter: string, qos: QoS, options: SubscribeOptions | undefined): void
  /** No longer asked for; a session may hold it until it is dropped. */
  unsubscribed(filter: string): void
  /** A session holds it no more (UNSUBACK). */
  dropped(filter: string): void
}

/**
 * The filters the user asked for, and what each server's session holds as far as its
 * acknowledgements told: what to send when a connection finds a session that is not as the calls
 * asked. A server that kept no session holds nothing (every filter is subscribed again); one the
 * client comes back to, whose session it last saw before changes made elsewhere, is told the
 * difference (a session each, as bridged brokers keep). A server never seen that says it has the
 * session is taken to share it with the one before (a cluster that shares sessions), so nothing is
 * subscribed again there (a broker sends retained messages again on each subscription). Requests
 * are numbered, so an acknowledgement that arrives after a later unsubscribe (of the same filter)
 * does not bring the filter back.
 */
export class Subscriptions {
  // Made at the first subscription change: a client that only publishes holds none of them.
  /** What the user's calls asked for, as acknowledged: filter → QoS. */
  #wanted: Map<string, QoS> | undefined
  /** MQTT 5: the options of each filter's last granted subscribe (No Local, Retain Handling, …). */
  #options: Map<string, SubscribeOptions> | undefined
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

  /** The server connected to last, whose session a server never seen before shares. */
  #last: string | undefined
  /** Per server: the filters it refused to renew (not asked again there, until the user subscribes anew). */
  #refusedAt: Map<string, Set<string>> | undefined
  /** Durable sessions: told what the calls come to, as it changes here. */
  observer: SubscriptionsObserver | undefined

  /** `server` granted a subscription requested as number `seq`: wanted, unless an unsubscribe came after it. */
  granted(server: string, filter: string, qos: QoS, seq: number, options?: SubscribeOptions): void {
    if (this.#grant(server, filter, qos, seq, options)) this.observer?.subscribed(filter, qos, options)
  }

  /** Whether the grant made the filter wanted (as `qos`, with `options`). */
  #grant(server: string, filter: string, qos: QoS, seq: number, options: SubscribeOptions | undefined): boolean {
    this.#at(server).set(filter, qos)
    this.#forgive(filter)
    if (seq <= (this.#unsubscribedAt?.get(filter) ?? 0)) return false
    ;(this.#wanted ??= new Map()).set(filter, qos)
    if (options) (this.#options ??= new Map()).set(filter, options)
    else this.#options?.delete(filter)
    return true
  }

  /** The user asked anew: every server may be asked again. */
  #forgive(filter: string): void {
    for (const refused of this.#refusedAt?.values() ?? []) refused.delete(filter)
  }

  /**
   * `server` refused it (SUBACK 0x80): not held there. The user's own subscribe is not remembered;
   * a renewal is not asked of that server again, but stays wanted elsewhere (another server may
   * hold it).
   */
  refused(server: string, filter: string, renewal: boolean): void {
    this.#at(server).delete(filter)
    if (!renewal) return void this.#wanted?.delete(filter)
    const refused = (this.#refusedAt ??= new Map())
    refused.set(server, (refused.get(server) ?? new Set()).add(filter))
  }

  /**
   * A subscription read back from a store (durable sessions): wanted, and held by the session the
   * client had before its restart. The first server that says it has the session is taken to hold
   * it (contract §7: renewed only where the broker has no session), as any server never seen is.
   * Not told to the observer: the store has it.
   */
  restored(filter: string, qos: QoS, options?: SubscribeOptions): void {
    this.#grant(BEFORE_RESTART, filter, qos, Number.MAX_SAFE_INTEGER, options)
    this.#last ??= BEFORE_RESTART
  }

  /**
   * A filter unsubscribed before the restart whose UNSUBACK had not come: not wanted, and maybe
   * still held by that session, so a server that says it has the session is told to drop it.
   */
  restoredUnsubscribing(filter: string): void {
    this.#at(BEFORE_RESTART).set(filter, 0)
    this.#last ??= BEFORE_RESTART
  }

  /** The caller unsubscribed, as request number `seq`: forgotten at once. */
  unsubscribed(filter: string, seq: number): void {
    this.#wanted?.delete(filter)
    ;(this.#unsubscribedAt ??= new Map()).set(filter, seq)
    this.#forgive(filter)
    this.observer?.unsubscribed(filter)
  }

  /** `server` acknowledged an unsubscribe: its session no longer holds the filter. */
  dropped(server: string, filter: string): void {
    this.#held?.get(server)?.delete(filter)
    this.observer?.dropped(filter)
  }

  /** Connected to `server`: with no session it holds nothing; a server never seen shares the last one's session. */
  connected(server: string, sessionPresent: boolean): void {
    const held = (this.#held ??= new Map())
    if (!sessionPresent) held.set(server, new Map())
    else if (!held.has(server)) held.set(server, new Map(this.#last === undefined ? [] : held.get(this.#last)))
    this.#last = server
  }

  /**
   * What `server` must be told for its session to hold what the calls asked (the difference from
   * what it holds), but for the filters with a change already pending. Subscriptions only with
   * `resubscribe`; unsubscribes always (the user's call resolved: the filter must go everywhere).
   */
  changesFor(server: string, pending: ReadonlySet<string>, resubscribe: boolean): Change[] {
    const held = this.#at(server)
    const refused = this.#refusedAt?.get(server)
    const changes: Change[] = []
    for (const [filter, qos] of resubscribe ? (this.#wanted ?? []) : []) {
      if (!pending.has(filter) && held.get(filter) !== qos && !refused?.has(filter))
        changes.push({ kind: 'subscribe', filter, qos, options: this.#options?.get(filter) })
    }
    for (const filter of held.keys()) {
      if (!pending.has(filter) && !this.#wanted?.has(filter)) changes.push({ kind: 'unsubscribe', filter, qos: 0 })
    }
    return changes
  }
}
