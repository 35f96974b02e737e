import { MqttError } from '@x/errno'

/** A packet sent and not yet acknowledged. */
export interface Pending {
  /** The packet type that settles it: PUBACK (QoS 1), PUBCOMP (QoS 2), SUBACK, UNSUBACK. */
  ack: 'puback' | 'pubcomp' | 'suback' | 'unsuback'
  /**
   * The packet as sent, to send again when the session is resumed. `undefined` once PUBREC has
   * arrived for a QoS 2 message: from then on PUBREL is what gets sent again [MQTT-4.3.3-1].
   */
  packet: Uint8Array | undefined
  /** When STIMEOUT is due (ms since the epoch); Infinity when message timeouts are off. */
  deadline: number
}

/**
 * The client's half of an MQTT session [MQTT-4.1]: packet ids in flight in both directions.
 * It outlives connections, so a resumed session (cleanSession false, session present) can
 * finish what the last connection left open.
 */
export class Session {
  /** Outbound packets awaiting an acknowledgement, in the order they were sent. */
  readonly pending = new Map<number, Pending>()
  /** Inbound QoS 2 packet ids delivered to the user and not yet released by PUBREL. */
  readonly held = new Set<number>()
  #lastPid = 0

  /** The next free packet id: 1..65535, wrapping, skipping ids in flight [MQTT-2.3.1-2]. */
  nextPid(operation: string): number {
    for (let tries = 0; tries < 65_535; tries++) {
      this.#lastPid = (this.#lastPid % 65_535) + 1
      if (!this.pending.has(this.#lastPid)) return this.#lastPid
    }
    throw new MqttError('ENOPID', `Cannot ${operation}: all 65,535 packet ids are in flight`, { operation })
  }

  /** Removes and returns the pending packets whose deadline has passed, oldest first. */
  expire(now: number): number[] {
    const expired: number[] = []
    // Deadlines grow with insertion order (one timeout for all), so the first live one ends the scan.
    for (const [pid, p] of this.pending) {
      if (p.deadline > now) break
      this.pending.delete(pid)
      expired.push(pid)
    }
    return expired
  }

  /** The earliest deadline of a pending packet, or Infinity. */
  get nextDeadline(): number {
    for (const p of this.pending.values()) return p.deadline
    return Infinity
  }

  /** Forgets everything: the broker has no session for this client. */
  clear(): void {
    this.pending.clear()
    this.held.clear()
  }
}
