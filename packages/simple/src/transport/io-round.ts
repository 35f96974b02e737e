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
