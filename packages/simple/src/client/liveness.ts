import { afterIo, cancelIo, type IoRound } from '../transport/io-round.js'
/**
 * Keeps a link alive and notices when it is dead, with one timer.
 *
 * - With keepalive on, a PINGREQ goes out when nothing was sent for `keepaliveMs` [MQTT-3.1.2-23]
 *   or nothing was received for that long: a client that only publishes QoS 0 hears nothing back,
 *   and must still learn that its link lives.
 * - The link is dead only when a PINGREQ (automatic or `ping()`) gets no byte back within
 *   `socketTimeoutMs`. Before saying so, one more round of I/O runs: a program that was busy
 *   past the deadline reads what the socket holds first, so a healthy link is never declared dead.
 * - While someone waits with no deadline of their own (`probing`) and keepalive is off, a silent
 *   link is probed with a PINGREQ after `socketTimeoutMs`, so that wait cannot last forever.
 */
export class Liveness {
  #lastSent: number
  #lastReceived: number
  #pingSent = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #verifying: IoRound | undefined
  readonly #keepaliveMs: number
  readonly #socketTimeoutMs: number
  readonly #ping: () => void
  readonly #dead: (reason: string) => void
  /** How many waits without a deadline are under way. */
  probing = 0
  /** Set while the client has stopped reading: unread bytes prove the link is alive. */
  paused = false

  constructor(keepaliveMs: number, socketTimeoutMs: number, ping: () => void, dead: (reason: string) => void) {
    this.#keepaliveMs = keepaliveMs
    this.#socketTimeoutMs = socketTimeoutMs
    this.#ping = ping
    this.#dead = dead
    this.#lastSent = this.#lastReceived = Date.now()
    this.arm()
  }

  stop(): void {
    clearTimeout(this.#timer)
    cancelIo(this.#verifying)
  }

  sent(): void {
    this.#lastSent = Date.now()
  }

  received(now: number): void {
    this.#lastReceived = now
  }

  /** A PINGREQ went out: an answer is due within `socketTimeoutMs` of the first unanswered one. */
  pinged(): void {
    this.#lastSent = Date.now()
    if (!this.#awaiting) this.#pingSent = this.#lastSent
    this.arm()
  }

  /** Whether a PINGREQ went out and no byte has come back since. */
  get #awaiting(): boolean {
    return this.#pingSent > this.#lastReceived && !this.paused
  }

  /**
   * Checks what is due now, then sleeps until the next thing may be due. Sent and received times
   * move on without rescheduling, so a check can come early: it then just sleeps again.
   */
  arm(): void {
    this.stop()
    const now = Date.now()
    if (this.paused) this.#lastReceived = now
    const ka = this.#keepaliveMs
    const timeout = this.#socketTimeoutMs
    const awaiting = this.#awaiting
    const answerDue = awaiting ? this.#pingSent + timeout : Infinity
    const pingDue = awaiting
      ? Infinity
      : ka
        ? Math.min(this.#lastSent, this.#lastReceived) + ka
        : this.probing
          ? this.#lastReceived + timeout
          : Infinity
    if (now >= answerDue) {
      this.#verifying = afterIo(() => {
        if (this.#awaiting) this.#dead(`no answer to PINGREQ within ${timeout} ms (socketTimeoutMs)`)
        else this.arm()
      })
      return
    }
    if (now >= pingDue) return this.#ping()
    const due = Math.min(answerDue, pingDue)
    if (due < Infinity) this.#timer = setTimeout(() => this.arm(), due - now)
  }
}
