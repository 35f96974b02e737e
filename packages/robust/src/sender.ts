import { isInputError } from '@x/simple'
import type { SimpleClient } from './options.js'
import type { Op, Outbox } from './outbox.js'

/**
 * Hands what waits in the outbox to the simple client, in order, one at a time, while the link
 * is up: subscription changes first, then messages, with at most `window` packets unacknowledged.
 */
export class Sender {
  #running = false
  readonly #client: SimpleClient
  readonly #outbox: Outbox
  readonly #window: number
  readonly #online: () => boolean
  readonly #unexpected: (error: unknown) => void

  constructor(client: SimpleClient, outbox: Outbox, window: number, online: () => boolean, unexpected: (error: unknown) => void) {
    this.#client = client
    this.#outbox = outbox
    this.#window = window
    this.#online = online
    this.#unexpected = unexpected
  }

  /** Whether a send is under way (a new message then goes behind it). */
  get running(): boolean {
    return this.#running
  }

  /** Starts sending, unless already under way or offline. */
  kick(): void {
    if (!this.#running && this.#online()) void this.#run()
  }

  async #run(): Promise<void> {
    this.#running = true
    try {
      for (let op; this.#online() && (op = this.#outbox.next(this.#window));) {
        if (!(await this.#send(op))) break
      }
    } catch (error) {
      this.#unexpected(error) // #send handles what the client throws: this is a bug
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
        pid = await client.publish(topic, payload, { qos, retain })
      } else pid = op.kind === 'subscribe' ? await client.subscribe(op.filter, { qos: op.qos }) : await client.unsubscribe(op.filter)
    } catch (error) {
      if (!isInputError(error)) {
        outbox.putBack(op)
        return false
      }
      outbox.settle(op, error) // sending it again cannot help
      return true
    }
    if (pid === undefined) outbox.settle(op)
    else outbox.sent(op, pid, Date.now())
    return true
  }
}
