import type { ServerPacket } from '../codec/packet.js'

/**
 * Past this many unread packets the client stops reading the socket until `checkMsg()` catches
 * up, so a flood the user does not read costs bounded memory (TCP then slows the broker down).
 */
export const INBOX_LIMIT = 1000

/**
 * Packets received and not yet processed, and the `waitMsg()` calls waiting for them. Bytes are
 * framed as they arrive, so only whole packets land here: `checkMsg()` never waits for a half one.
 */
export class Inbox {
  #packets: ServerPacket[] = []
  #messages = 0
  readonly #wakers = new Set<() => void>()

  get length(): number {
    return this.#packets.length
  }

  /** How many of the packets are messages (PUBLISH): what the broker sends unasked, unlike acknowledgements. */
  get messages(): number {
    return this.#messages
  }

  push(packet: ServerPacket): void {
    this.#packets.push(packet)
    if (packet.type === 'publish') this.#messages++
  }

  /** Takes every packet, leaving the inbox empty. */
  take(): ServerPacket[] {
    const batch = this.#packets
    this.clear()
    return batch
  }

  /** Puts back, in front, what a throwing callback did not reach. */
  putBack(rest: ServerPacket[]): void {
    this.#packets = rest.concat(this.#packets)
    for (const packet of rest) if (packet.type === 'publish') this.#messages++
  }

  clear(): void {
    this.#packets = []
    this.#messages = 0
  }

  /** Ends every wait under way: a packet arrived, the link failed, or the client disconnected. */
  wake(): void {
    for (const wake of this.#wakers) wake()
  }

  /** Waits until `wake()` or until `ms` have passed (Infinity: only `wake()`). */
  async wait(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    let wake = (): void => {}
    await new Promise<void>((resolve) => {
      this.#wakers.add((wake = resolve))
      if (ms < Infinity) timer = setTimeout(resolve, Math.max(0, ms))
    })
    clearTimeout(timer)
    this.#wakers.delete(wake)
  }
}
