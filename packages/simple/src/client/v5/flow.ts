/**
 * MQTT 5's Receive Maximum on the sending side [MQTT-3.3.4-7]: how many QoS 1 and 2 PUBLISHes
 * may be unacknowledged at once, and the publishes waiting, first come first served, for a slot.
 * A slot is taken before the packet id is known (the call waits for it first) and freed by the
 * acknowledgement that ends its exchange (PUBACK, PUBCOMP, or a PUBREC that refuses).
 */
export class Flow {
  /** The broker's Receive Maximum (65,535 when its CONNACK names none). */
  max = 65_535
  readonly #pids = new Set<number>()
  #taken = 0
  readonly #waiting: Array<() => void> = []

  /** Takes a slot: at once (`undefined`), or a promise that resolves when one is free or the connection ends. */
  take(): Promise<void> | undefined {
    let taken = false
    let wake: (() => void) | undefined
    this.later(() => (wake ? wake() : (taken = true)))
    return taken ? undefined : new Promise((resolve) => (wake = resolve))
  }

  /** The slot taken went to packet id `pid` (or, after a resumed session, `pid` was sent again). */
  sent(pid: number): void {
    this.#pids.add(pid)
  }

  /** A slot taken and not used: the call failed before its packet was written. */
  unused(): void {
    this.#taken--
    this.#next()
  }

  /** The acknowledgement that ends `pid`'s exchange arrived: its slot is free. */
  free(pid: number): void {
    if (!this.#pids.delete(pid)) return
    this.#taken--
    this.#next()
  }

  /** Runs `send` with a slot taken: now if one is free, else when one frees (in line with waiting publishes), or when the connection ends. */
  later(send: () => void): void {
    if (this.#taken < this.max && !this.#waiting.length) {
      this.#taken++
      send()
    } else this.#waiting.push(send)
  }

  get inFlight(): number {
    return this.#taken
  }

  /** The connection ended: every wait ends (the caller then finds the connection gone). */
  end(): void {
    this.max = 0
    for (const wake of this.#waiting.splice(0)) wake()
  }

  #next(): void {
    while (this.#taken < this.max && this.#waiting.length) {
      this.#taken++
      ;(this.#waiting.shift() as () => void)()
    }
  }
}
