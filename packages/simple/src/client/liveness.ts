/**
 * Keeps a link alive and notices when it is dead, with one timer.
 *
 * - With keepalive on, a PINGREQ goes out when nothing was sent for `keepaliveMs` [MQTT-3.1.2-23],
 *   and the link is dead when nothing arrives for 1.5 × `keepaliveMs`.
 * - After any PINGREQ (automatic or `ping()`), the link is dead when no byte arrives within
 *   `socketTimeoutMs`.
 * - While someone waits with no deadline of their own (`probing`) and keepalive is off, a silent
 *   link is probed with a PINGREQ after `socketTimeoutMs`, so that wait cannot last forever.
 */
export class Liveness {
  #lastSent = 0
  #lastReceived = 0
  #pingSent = 0
  #timer: ReturnType<typeof setTimeout> | undefined
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
  }

  sent(): void {
    this.#lastSent = Date.now()
  }

  received(): void {
    this.#lastReceived = Date.now()
  }

  /** A PINGREQ went out: an answer is due within `socketTimeoutMs`. */
  pinged(): void {
    this.#lastSent = this.#pingSent = Date.now()
    this.arm()
  }

  /**
   * Checks what is due now, then sleeps until the next thing may be due. Sent and received times
   * move on without rescheduling, so a check can come early: it then just sleeps again.
   */
  arm(): void {
    clearTimeout(this.#timer)
    const now = Date.now()
    if (this.paused) this.#lastReceived = now
    const ka = this.#keepaliveMs
    const timeout = this.#socketTimeoutMs
    // A PINGREQ with no byte back since it went out.
    const awaiting = this.#pingSent > this.#lastReceived
    const answerDue = awaiting ? this.#pingSent + timeout : Infinity
    const silentDue = ka ? this.#lastReceived + ka * 1.5 : Infinity
    const pingDue = awaiting ? Infinity : ka ? this.#lastSent + ka : this.probing ? this.#lastReceived + timeout : Infinity
    if (now >= answerDue) return this.#dead(`no answer to PINGREQ within ${timeout} ms (socketTimeoutMs)`)
    if (now >= silentDue) return this.#dead(`nothing received for ${ka * 1.5} ms, 1.5 × keepalive [MQTT-3.1.2-24]`)
    if (now >= pingDue) return this.#ping()
    const due = Math.min(answerDue, silentDue, pingDue)
    if (due < Infinity) this.#timer = setTimeout(() => this.arm(), due - now)
  }
}
