/**
 * Runs `run` after one round of I/O, so what the socket already holds is read before a deadline
 * is judged. Node's setImmediate runs after the poll phase; a browser has none, and there a 0 ms
 * timeout runs after the tasks already queued, the WebSocket's messages among them.
 */

/** A scheduled round: typed as a timeout's handle, so the published types need no Node types. */
export type IoRound = ReturnType<typeof setTimeout>

type Immediate = { setImmediate?: (run: () => void) => IoRound; clearImmediate?: (round: IoRound) => void }

// Looked up at each call, not once at load: a test's fake timers replace them after that.
const g = globalThis as unknown as Immediate

export const afterIo = (run: () => void): IoRound => (g.setImmediate ? g.setImmediate(run) : setTimeout(run, 0))

export const cancelIo = (round: IoRound | undefined): void => (g.clearImmediate ? g.clearImmediate(round as IoRound) : clearTimeout(round))

/** Bytes a link takes in one round of the event loop before it asks its writer to wait for the next. */
export const ROUND_BYTES = 64 * 1024

/**
 * What a link took since the event loop last ran its I/O. Node's socket and the `ws` package hand
 * a fast link's bytes to the kernel at once, so their buffers never fill, and a program that
 * publishes in a loop would never wait: its timers, its other sockets, a broker in the same
 * process would not run until the loop ended. Past ROUND_BYTES the link says to wait, and
 * `ended` runs once the round is over (the link wakes its writer there).
 */
export interface WriteRound {
  /** Bytes written in this round. */
  readonly bytes: number
  /** Counts `n` bytes written; whether the round still has room. */
  add(n: number): boolean
  /** The link closed: no round left pending. */
  stop(): void
}

export function writeRound(ended: () => void): WriteRound {
  let end: IoRound | undefined
  const round = {
    bytes: 0,
    add(n: number): boolean {
      round.bytes += n
      end ??= afterIo(() => {
        end = undefined
        round.bytes = 0
        ended()
      })
      return round.bytes < ROUND_BYTES
    },
    stop(): void {
      cancelIo(end)
      end = undefined
    },
  }
  return round
}
