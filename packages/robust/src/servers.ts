import {
  MqttError,
  isRetryable,
  printableUrl,
  type MessageCallback,
  type OversizeCallback,
  type Session,
  type StatusCallback,
  type Connack,
} from '@x/simple'
import type { CredentialSource, Credentials } from './credentials.js'
import type { SimpleClient } from './options.js'
import { referenced } from './server-reference.js'

type Will = Parameters<SimpleClient['setLastWill']>

/** Makes the simple client for a server, carrying on `session`, logging in with `credentials` (those of an attempt, when they are functions). */
export type MakeClient = (server: string, session?: Session, credentials?: Credentials) => SimpleClient

/** How many redirections one round of connect() follows: a loop of references must end. */
const MAX_REDIRECTS = 3

/**
 * The nodes of a broker cluster (or a primary and a standby) behind one SimpleClient. Each
 * connect() is one round: it tries the servers in order from the one after the last it used
 * (so an outage moves the client on, and a failed attempt tries the next at once), and fails
 * only when every one of them failed, so the backoff is per round of the list, not per address.
 * An error no retry can fix (bad credentials, TLS to a plain port) ends the round at once.
 *
 * Moving to another server starts a simple client for it that carries on the same session (the
 * client id's packet ids in flight, both ways): a node that kept the session (the same broker
 * listed twice, a cluster sharing its sessions, a node the client comes back to) gets what was in
 * flight again with the same packet ids, and one that did not has them reported SLOST, so
 * @x/robust sends them again as new. The client left behind ends its link in the background;
 * `disconnect()` cuts that short.
 *
 * With `user` or `password` a function (a token that expires), every attempt calls it and makes
 * a fresh simple client with the values it returned, carrying the session and callbacks as a move
 * to another server does; with plain values one client serves every attempt to its server.
 */
export class ServerList implements SimpleClient {
  readonly #servers: string[]
  /** The servers as they may be printed (no password), made once: `server` is read on every acknowledgement. */
  readonly #shown: string[]
  readonly #make: MakeClient
  #client: SimpleClient
  /** Clients left for another server, still ending their links. */
  readonly #leaving = new Set<SimpleClient>()
  #at = 0
  #next = 0
  #message: MessageCallback | undefined
  #status: StatusCallback | undefined
  #oversize: OversizeCallback | undefined
  #will: Will | undefined
  /** Where each attempt's credentials come from, when `user` or `password` is a function. */
  readonly #credentials: CredentialSource | undefined

  /** `credentials`: where each attempt's user and password come from, when they are functions. */
  constructor(servers: readonly string[], make: MakeClient, credentials?: CredentialSource) {
    this.#servers = [...servers]
    this.#shown = servers.map(printableUrl)
    this.#make = make
    this.#client = make(servers[0] as string)
    this.#credentials = credentials
  }

  /** The server of the current (or last) connection, as it may be printed (no password). */
  get server(): string {
    return this.#shown[this.#at] as string
  }

  get isConnected(): boolean {
    return this.#client.isConnected
  }

  get isWritable(): boolean {
    return this.#client.isWritable
  }

  async connect(options: Parameters<SimpleClient['connect']>[0] = {}): Promise<boolean> {
    const count = this.#servers.length
    let failure: unknown
    let redirects = 0
    for (let tried = 0; tried < count; tried++) {
      const index = this.#next
      this.#next = (index + 1) % count
      try {
        if (this.#credentials) this.#moveTo(index, await this.#credentials(this.#shown[index] as string, options.signal))
        else if (index !== this.#at) this.#moveTo(index)
        return await this.#client.connect(options)
      } catch (error) {
        if (!isRetryable(error) || options.signal?.aborted) throw error
        failure = error
        // MQTT 5: "use another server" or "server moved", naming it: that one next, in this round (a few times at most).
        if (redirects < MAX_REDIRECTS && this.redirect(error)) {
          redirects++
          tried--
        }
      }
    }
    if (count === 1) throw failure
    const why = failure instanceof Error ? failure.message : String(failure)
    throw new MqttError(failure instanceof MqttError ? failure.code : 'ENOCON', `None of the ${count} servers answered; the last: ${why}`, {
      cause: failure,
      operation: 'connect',
    })
  }

  /**
   * MQTT 5: when `error` is the broker's "use another server" (0x9C) or "server moved" (0x9D) with
   * a Server Reference, that server becomes the next one tried (added to the list if new).
   * Returns whether it did.
   */
  redirect(error: unknown): boolean {
    const { code, serverReference } = (error ?? {}) as { code?: string; serverReference?: string }
    if ((code !== 'EUSESERVER' && code !== 'ESERVERMOVED') || !serverReference) return false
    const url = referenced(serverReference, this.#servers[this.#at] as string)
    if (!url) return false
    let index = this.#servers.indexOf(url)
    if (index < 0) {
      index = this.#servers.push(url) - 1
      this.#shown.push(printableUrl(url))
    }
    this.#next = index
    return true
  }

  /** MQTT 5: the CONNACK of the current connection. */
  get connack(): Connack | undefined {
    return this.#client.connack
  }

  /**
   * Leaves the current client for good and makes one for `index` (another server, or the same
   * with the credentials of this attempt), with the session, the callbacks and the will.
   */
  #moveTo(index: number, credentials?: Credentials): void {
    const left = this.#client
    // Made first: a client the options refuse (a function's value refused) leaves everything as it was.
    const client = this.#make(this.#servers[index] as string, left.session, credentials)
    this.#leaving.add(left)
    // No callback runs once disconnect() is called; the link's polite end is not waited for (and
    // a custom client's failing disconnect() must not become an unhandled rejection).
    const forget = (): void => void this.#leaving.delete(left)
    left.disconnect().then(forget, forget)
    this.#at = index
    this.#client = client
    if (this.#message) client.setCallback(this.#message)
    if (this.#status) client.setCallbackStatus(this.#status)
    if (this.#oversize) client.setCallbackOversize(this.#oversize)
    if (this.#will) client.setLastWill(...this.#will)
  }

  /** Disconnects, and cuts short the links of the clients left behind (a second disconnect() does). */
  async disconnect(...args: Parameters<SimpleClient['disconnect']>): Promise<void> {
    await Promise.all([this.#client.disconnect(...args), ...[...this.#leaving].map((left) => left.disconnect())])
  }

  get session(): Session {
    return this.#client.session
  }

  publish(...args: Parameters<SimpleClient['publish']>): ReturnType<SimpleClient['publish']> {
    return this.#client.publish(...args)
  }

  subscribe(...args: Parameters<SimpleClient['subscribe']>): ReturnType<SimpleClient['subscribe']> {
    return this.#client.subscribe(...args)
  }

  unsubscribe(...args: Parameters<SimpleClient['unsubscribe']>): Promise<number> {
    return this.#client.unsubscribe(...args)
  }

  waitMsg(timeoutMs?: number): Promise<number> {
    return this.#client.waitMsg(timeoutMs)
  }

  checkMsg(): number {
    return this.#client.checkMsg()
  }

  setCallback(callback: MessageCallback): void {
    this.#message = callback
    this.#client.setCallback(callback)
  }

  setCallbackStatus(callback: StatusCallback): void {
    this.#status = callback
    this.#client.setCallbackStatus(callback)
  }

  setCallbackOversize(callback: OversizeCallback): void {
    this.#oversize = callback
    this.#client.setCallbackOversize(callback)
  }

  setLastWill(...will: Will): void {
    this.#will = will
    this.#client.setLastWill(...will)
  }
}
