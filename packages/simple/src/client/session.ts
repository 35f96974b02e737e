import { MqttError } from '@x/errno'

/** A packet sent and not yet acknowledged. */
export interface Pending {
  /** The packet type that settles it: PUBACK (QoS 1), PUBCOMP (QoS 2), SUBACK, UNSUBACK. */
  ack: 'puback' | 'pubcomp' | 'suback' | 'unsuback'
  /**
   * The packet as it was first sent, for a resumed session: the same bytes go again (a PUBLISH
   * with DUP set), never the caller's buffer encoded anew, which it may have reused or transferred
   * since.
   */
  packet: Uint8Array
  /** PUBREC has arrived for this QoS 2 message: from then on PUBREL is what goes again [MQTT-4.3.3-1]. */
  released?: boolean
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
  /**
   * Packet ids a session the broker did not keep took with it, not yet reported as SLOST. They
   * stay reserved until reported, so a status can never be taken for a newer packet's.
   */
  lost: number[] = []
  #lastPid = 0
  /** The broker that last took this session (its address), and whether brokers were seen to keep a session each. */
  #where: string | undefined
  #perNode = false

  /** The next free packet id: 1..65535, wrapping, skipping ids in flight [MQTT-2.3.1-2]. */
  nextPid(operation: string): number {
    const reserved = this.lost.length ? new Set(this.lost) : undefined
    for (let tries = 0; tries < 65_535; tries++) {
      this.#lastPid = (this.#lastPid % 65_535) + 1
      if (!this.pending.has(this.#lastPid) && !reserved?.has(this.#lastPid)) return this.#lastPid
    }
    throw new MqttError('ENOPID', `Cannot ${operation}: all 65,535 packet ids are in flight`, { operation })
  }

  /** Removes and returns the pending packets whose deadline is at or before `time`, oldest first. */
  expire(time: number): number[] {
    const expired: number[] = []
    // Deadlines grow with insertion order (one timeout for all), so the first live one ends the scan.
    for (const [pid, p] of this.pending) {
      if (p.deadline > time) break
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

  /**
   * The broker at `where` answered CONNECT: with a session, what to send again [MQTT-4.4.0-1]
   * (each PUBLISH with DUP, PUBREL for QoS 2 past PUBREC), oldest first, each waiting anew until
   * `deadline`; without one, nothing, and every pending packet id becomes lost.
   *
   * A session carried to another broker (a client moving between the nodes of a cluster) is the
   * same session where the nodes share it. Where one of them has already answered "no session" to
   * a connect that asked for one, they keep one each, and a node that says it has one holds an
   * older one: a QoS 2 message past PUBREC then goes again as PUBLISH, for the node that sent
   * PUBREC may never pass it on, and the inbound ids held are another node's.
   */
  resume(present: boolean, pubrel: (pid: number) => Uint8Array, deadline: number, where: string, cleanSession: boolean): Uint8Array[] {
    const moved = this.#where !== undefined && this.#where !== where
    this.#where = where
    if (!present) {
      // Only a session asked for and not found says so: a clean one is never found.
      this.#perNode ||= moved && !cleanSession
      for (const pid of this.pending.keys()) this.lost.push(pid)
      this.pending.clear()
      this.held.clear()
      return []
    }
    const stale = moved && this.#perNode
    if (stale) this.held.clear()
    const again: Uint8Array[] = []
    for (const [pid, entry] of this.pending) {
      if (stale) entry.released = false
      again.push(entry.released ? pubrel(pid) : resent(entry.packet))
      if (entry.deadline < Infinity) entry.deadline = deadline
    }
    return again
  }
}

/**
 * A packet sent again: a PUBLISH with DUP [MQTT-3.3.1-1], on a copy (the link that had it first
 * may still be sending it: a connect() leaves the earlier link to end by itself).
 */
function resent(packet: Uint8Array): Uint8Array {
  if ((packet[0] as number) >> 4 !== 3) return packet
  const again = packet.slice()
  again[0] = (again[0] as number) | 8
  return again
}
