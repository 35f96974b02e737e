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
  /** How many waits without a deadline are under way. */
  probing = 0
  /** Set while the client has stopped reading: unread bytes prove the link is alive. */
  paused = false

  constructor(
    private readonly keepaliveMs: number,
    private readonly socketTimeoutMs: number,
    private readonly ping: () => void,
    private readonly dead: (reason: string) => void,
  ) {}

  start(): void {
    this.#lastSent = this.#lastReceived = Date.now()
    this.#pingSent = 0
    this.arm()
  }

  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
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

  /** (Re)schedules the timer for the earliest thing that may be due. */
  arm(): void {
    clearTimeout(this.#timer)
    const due = Math.min(...this.#deadlines())
    this.#timer = due === Infinity ? undefined : setTimeout(() => this.#check(), Math.max(0, due - Date.now()))
  }

  #awaitingAnswer(): boolean {
    return this.#pingSent > 0 && this.#lastReceived < this.#pingSent
  }

  #deadlines(): number[] {
    const ka = this.keepaliveMs
    const due = [this.#awaitingAnswer() ? this.#pingSent + this.socketTimeoutMs : Infinity]
    if (ka) due.push(this.#lastSent + ka, this.#lastReceived + ka * 1.5)
    else if (this.probing && !this.#awaitingAnswer()) due.push(this.#lastReceived + this.socketTimeoutMs)
    return due
  }

  #check(): void {
    const now = Date.now()
    if (this.paused) this.#lastReceived = now
    const ka = this.keepaliveMs
    if (this.#awaitingAnswer() && now - this.#pingSent >= this.socketTimeoutMs) {
      return this.dead(`no answer to PINGREQ within ${this.socketTimeoutMs} ms (socketTimeoutMs)`)
    }
    if (ka && now - this.#lastReceived >= ka * 1.5) {
      return this.dead(`nothing received for ${ka * 1.5} ms, 1.5 × keepalive [MQTT-3.1.2-24]`)
    }
    if (
      !this.#awaitingAnswer() &&
      (ka ? now - this.#lastSent >= ka : this.probing > 0 && now - this.#lastReceived >= this.socketTimeoutMs)
    ) {
      this.ping()
      return
    }
    this.arm()
  }
}
