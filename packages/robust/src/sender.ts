import { MqttError, isInputError, type PublishProperties } from '@x/simple'
import type { SimpleClient } from './options.js'
import type { Op, Outbox, PublishOp } from './outbox.js'

/** What the sender asks of the client it works for. */
export interface SenderHooks {
  /** Whether the link is up. */
  online(): boolean
  /** How many packets may be unacknowledged now: `maxInFlight`, or (MQTT 5) the broker's Receive Maximum if smaller. */
  window(): number
  /** MQTT 5: a message waited past its `messageExpiryInterval`: dropped unsent. */
  expired(op: PublishOp): void
  /** What a bug threw. */
  unexpected(error: unknown): void
  /**
   * A subscription change the client makes itself (a renewal, no caller waiting) could not be sent:
   * the broker's limits refuse it before a byte goes (MQTT 5: no wildcards, no shared
   * subscriptions, the packet too large). Reported, as a refused renewal is.
   */
  renewalFailed(error: unknown): void
  /** Durable sessions: the message about to be handed to the client (`undefined` once it has been). */
  sending?(op: PublishOp | undefined): void
}

/**
 * Hands what waits in the outbox to the simple client, in order, one at a time, while the link
 * is up: subscription changes first, then messages, with at most `window()` packets unacknowledged.
 * `holdFor()` pauses it (MQTT 5: the broker is over its quota or busy).
 */
export class Sender {
  #running = false
  readonly #client: SimpleClient
  readonly #outbox: Outbox
  readonly #hooks: SenderHooks
  /** A pause under way (`holdFor()`): sending resumes when it fires. */
  #hold: ReturnType<typeof setTimeout> | undefined
  #stopped = false

  constructor(client: SimpleClient, outbox: Outbox, hooks: SenderHooks) {
    this.#client = client
    this.#outbox = outbox
    this.#hooks = hooks
  }

  /** Whether a send is under way (a new message then goes behind it). */
  get running(): boolean {
    return this.#running
  }

  /** Whether sending is paused (`holdFor()`): a new message then waits. */
  get held(): boolean {
    return this.#hold !== undefined
  }

  /** Starts sending, unless already under way, paused or offline. */
  kick(): void {
    if (!this.#running && !this.#hold && this.#hooks.online()) void this.#run()
  }

  /** Sends nothing for `ms`, then goes on; nothing once stopped (no timer outlives `stop()`). */
  holdFor(ms: number): void {
    if (this.#stopped) return
    clearTimeout(this.#hold)
    this.#hold = setTimeout(() => {
      this.#hold = undefined
      this.kick()
    }, ms)
  }

  /** Ends a pause for good (the client is closing): no timer is left. */
  stop(): void {
    this.#stopped = true
    clearTimeout(this.#hold)
    this.#hold = undefined
  }

  async #run(): Promise<void> {
    this.#running = true
    try {
      for (let op; !this.#hold && this.#hooks.online() && (op = this.#outbox.next(this.#hooks.window()));) {
        if (!(await this.#send(op))) break
      }
    } catch (error) {
      this.#hooks.unexpected(error) // #send handles what the client throws: this is a bug
    } finally {
      this.#running = false
    }
  }

  /** Sends one operation; on a link failure puts it back at the front and returns false. */
  async #send(op: Op): Promise<boolean> {
    const client = this.#client
    const outbox = this.#outbox
    let pid: number | undefined
    try {
      if (op.kind === 'publish') {
        const { topic, payload, qos, retain } = op.message
        const properties = propertiesNow(op)
        if (properties === null) {
          this.#hooks.expired(op)
          return true
        }
        this.#hooks.sending?.(op)
        try {
          pid = await client.publish(topic, payload, { qos, retain, ...(properties && { properties }) })
        } finally {
          this.#hooks.sending?.(undefined)
        }
      } else if (op.kind === 'subscribe') pid = await client.subscribe(op.filter, { ...op.options, qos: op.qos })
      else pid = await client.unsubscribe(op.filter, op.options?.properties ? { properties: op.options.properties } : {})
    } catch (error) {
      if (!isInputError(error)) {
        outbox.putBack(op)
        return false
      }
      outbox.settle(op, error) // sending it again cannot help
      if (op.kind !== 'publish' && op.renewal) this.#hooks.renewalFailed(error)
      return true
    }
    if (pid === undefined) outbox.settle(op)
    else outbox.sent(op, pid, Date.now())
    return true
  }
}

/**
 * MQTT 5: the properties a message goes with now. A message that waited carries what is left of
 * its Message Expiry Interval [MQTT-3.3.2-6]; one whose interval ran out while it waited is not
 * sent (`null`).
 */
export function propertiesNow(op: PublishOp): PublishProperties | undefined | null {
  const properties = op.message.properties
  const interval = properties?.messageExpiryInterval
  if (interval === undefined) return properties
  // A clock set back (a device without a real-time clock, restarted with a message from its last run) waited nothing.
  const waited = Math.max(0, Math.floor((Date.now() - op.queuedAt) / 1000))
  if (waited >= interval) return null
  return waited ? { ...properties, messageExpiryInterval: interval - waited } : properties
}

/** The error an expired message's publish() rejects with. */
export const expiredError = (op: PublishOp): MqttError =>
  new MqttError(
    'EEXPIRED',
    `Dropped the message to "${op.message.topic}": it waited ${Math.round((Date.now() - op.queuedAt) / 100) / 10} s, past its messageExpiryInterval of ${op.message.properties?.messageExpiryInterval} s`,
    { topic: op.message.topic },
  )
