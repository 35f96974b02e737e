import { MqttError, isMqttError } from '@x/simple'
import type { SimpleClient } from './options.js'
import type { Outbox } from './outbox.js'

// With acknowledgement timeouts off, the loop still wakes now and then; keepalive finds dead links.
const IDLE_WAIT_MS = 30_000

/** The failure a simple client error stands for: ECONNOT carries the failure that came first as its cause. */
function failureOf(error: unknown): MqttError {
  if (isMqttError(error) && error.code === 'ECONNOT' && isMqttError(error.cause)) return error.cause
  return isMqttError(error) ? error : new MqttError('EUNKNOWN', String(error), { cause: error })
}

// Node's setImmediate runs after the poll phase; a browser has none, and its 0 ms timeout runs after the queued tasks (the WebSocket's messages).
// Looked up at each call: a test's fake timers replace it after this module has loaded.
const g = globalThis as { setImmediate?: (run: () => void) => unknown }

/** Lets one round of I/O run, so what the socket holds is read before a deadline is judged. */
const ioRound = (): Promise<void> => new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)))

/**
 * The receive loop of one connection: waits for packets (the simple client runs the callbacks
 * inside `waitMsg()`) and watches the acknowledgements. Resolves why the link ended: the simple
 * client's failure, or EACKTIMEOUT when an acknowledgement is overdue (the link is suspect).
 * Resolves `undefined` once `closed` aborts.
 */
export async function receiveUntilLost(
  client: SimpleClient,
  outbox: Outbox,
  ackTimeoutMs: number,
  closed: AbortSignal,
): Promise<MqttError | undefined> {
  try {
    while (!closed.aborted) {
      const due = ackTimeoutMs ? outbox.nextDeadline(ackTimeoutMs) : undefined
      await client.waitMsg(due === undefined ? ackTimeoutMs || IDLE_WAIT_MS : Math.max(0, due - Date.now()))
      if (closed.aborted || !ackTimeoutMs || !outbox.overdue(Date.now(), ackTimeoutMs)) continue
      // Overdue, unless the program was too busy to read the ack: one round of I/O, then judge.
      await ioRound()
      client.checkMsg()
      const late = outbox.overdue(Date.now(), ackTimeoutMs)
      if (late && !closed.aborted) {
        const [pid] = late
        const message = `No acknowledgement for packet id ${pid} within ${ackTimeoutMs} ms (messageTimeoutMs): the link is suspect`
        return new MqttError('EACKTIMEOUT', message, { pid })
      }
    }
  } catch (error) {
    if (!closed.aborted) return failureOf(error)
  }
  return undefined
}
