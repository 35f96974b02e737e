import type { Link, Transport } from '@x/simple'
import type { Journal } from './durable-journal.js'

// Past this many bytes held, write() says the link is full (the simple client then waits for drain()).
const HELD_LIMIT = 1 << 20

/** What the gate learns from a packet the client writes: its type (high nibble of the first byte), its packet id for an acknowledgement, and its bytes. */
export interface Written {
  type: number
  pid: number
  bytes: Uint8Array
}

/**
 * Write-ahead on the wire: a transport whose links hold each packet the client writes until the
 * journal has made durable the change it stands for, so no byte reaches the broker before that is
 * in the store (a PUBLISH's message, and a QoS 2 one's packet id; a PUBREL's "released"; a
 * PUBREC's inbound packet id; a PUBCOMP's removal of it). `seen` hears of each packet first, records
 * what it means, and returns the number of that change (0: none needed). Packets go out in the
 * order written: one held holds those behind it. A link whose journal failed sends nothing more.
 */
export function gated(transport: Transport, journal: Journal, seen: (packet: Written) => number): Transport {
  return async (target, handlers, signal) => {
    const link = await transport(target, handlers, signal)
    const held: Array<{ bytes: Uint8Array; mark: number }> = []
    let heldBytes = 0
    const drained: Array<() => void> = []
    // What is held goes nowhere once the journal failed: dropped, and every wait for it ends.
    const drop = (): void => {
      held.length = 0
      heldBytes = 0
      for (const wake of drained.splice(0)) wake()
    }
    const release = (): void => {
      while (held.length) {
        const first = held[0] as { bytes: Uint8Array; mark: number }
        if (!journal.isCommitted(first.mark)) return journal.whenCommitted(first.mark, release, drop)
        held.shift()
        heldBytes -= first.bytes.length
        link.write(first.bytes)
      }
      for (const wake of drained.splice(0)) wake()
    }
    const gate: Link = {
      write(bytes) {
        const first = bytes[0] as number
        const mark = seen({ type: first >> 4, pid: bytes.length >= 4 ? ((bytes[2] as number) << 8) | (bytes[3] as number) : 0, bytes })
        if (journal.failure) return false
        if (!held.length && journal.isCommitted(mark)) return link.write(bytes)
        held.push({ bytes, mark })
        heldBytes += bytes.length
        if (held.length === 1) journal.whenCommitted(mark, release, drop)
        return heldBytes < HELD_LIMIT && link.buffered < HELD_LIMIT
      },
      async drain() {
        if (held.length) await new Promise<void>((resolve) => drained.push(resolve))
        await link.drain()
      },
      get buffered() {
        return heldBytes + link.buffered
      },
      pause: () => link.pause(),
      resume: () => link.resume(),
      async end() {
        if (held.length && !journal.failure) await new Promise<void>((resolve) => drained.push(resolve))
        await link.end()
      },
      destroy() {
        drop()
        link.destroy()
      },
    }
    return gate
  }
}
