import { MqttError, isRetryable, type MessageCallback, type OversizeCallback, type StatusCallback } from '@x/simple'
import type { SimpleClient } from './options.js'

type Will = Parameters<SimpleClient['setLastWill']>

/**
 * The nodes of a broker cluster (or a primary and a standby) behind one SimpleClient. Each
 * connect() is one round: it tries the servers in order from the one after the last it used
 * (so an outage moves the client on, and a failed attempt tries the next at once), and fails
 * only when every one of them failed, so the backoff is per round of the list, not per address.
 * An error no retry can fix (bad credentials, TLS to a plain port) ends the round at once.
 *
 * Moving to another server starts a fresh simple client: a new broker has no session, and the old
 * client's packet ids must not answer for the new one's. @x/robust then resends what was in
 * flight and subscribes again, as after any reconnect without a session.
 */
export class ServerList implements SimpleClient {
  readonly #servers: readonly string[]
  readonly #make: (server: string) => SimpleClient
  #client: SimpleClient
  #at = 0
  #next = 0
  #message: MessageCallback | undefined
  #status: StatusCallback | undefined
  #oversize: OversizeCallback | undefined
  #will: Will | undefined

  constructor(servers: readonly string[], make: (server: string) => SimpleClient) {
    this.#servers = servers
    this.#make = make
    this.#client = make(servers[0] as string)
  }

  /** The server of the current (or last) connection. */
  get server(): string {
    return this.#servers[this.#at] as string
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
    for (let tried = 0; tried < count; tried++) {
      const index = this.#next
      this.#next = (index + 1) % count
      if (index !== this.#at) await this.#moveTo(index)
      try {
        return await this.#client.connect(options)
      } catch (error) {
        if (!isRetryable(error) || options.signal?.aborted) throw error
        failure = error
      }
    }
    if (count === 1) throw failure
    const why = failure instanceof Error ? failure.message : String(failure)
    throw new MqttError(failure instanceof MqttError ? failure.code : 'ENOCON', `None of the ${count} servers answered; the last: ${why}`, {
      cause: failure,
      operation: 'connect',
    })
  }

  /** Leaves the current server for good and makes a client for `index`, with the callbacks and the will. */
  async #moveTo(index: number): Promise<void> {
    await this.#client.disconnect()
    this.#at = index
    const client = (this.#client = this.#make(this.#servers[index] as string))
    if (this.#message) client.setCallback(this.#message)
    if (this.#status) client.setCallbackStatus(this.#status)
    if (this.#oversize) client.setCallbackOversize(this.#oversize)
    if (this.#will) client.setLastWill(...this.#will)
  }

  disconnect(): Promise<void> {
    return this.#client.disconnect()
  }

  publish(...args: Parameters<SimpleClient['publish']>): ReturnType<SimpleClient['publish']> {
    return this.#client.publish(...args)
  }

  subscribe(...args: Parameters<SimpleClient['subscribe']>): ReturnType<SimpleClient['subscribe']> {
    return this.#client.subscribe(...args)
  }

  unsubscribe(topic: string): Promise<number> {
    return this.#client.unsubscribe(topic)
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
