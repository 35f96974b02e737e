/**
 * What a durable store holds, read as @x/robust reads it: its log (`l/` keys, one value per
 * journal batch, packages/robust/src/durable-records.ts) replayed into the state a restart would
 * restore, or the records one batch wrote. Tests look through this, not at keys: the layout is
 * @x/robust's own business.
 */
import type { Store, StoreOp } from '@x/robust'
import { waitFor } from './wait.js'
import { readRecords, replay, type LogRecord, type Restored } from '../../packages/robust/src/durable-replay.js'
import { LOG_PREFIX, R, RecordWriter, writeFlight, writeMessage, writeSubscription } from '../../packages/robust/src/durable-records.js'

export { R, type LogRecord }

/** The state a client restarted on `store` would restore. */
export async function storedState(store: Pick<Store, 'scan'>): Promise<Restored> {
  return replay((await store.scan(LOG_PREFIX)).map(([, value]) => value))
}

/** That state once it passes `check` (read again until then: the journal commits within its own delay), or DeadlineError after `timeoutMs`. */
export async function storedOnce(
  store: Pick<Store, 'scan'>,
  check: (state: Restored) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<Restored> {
  let state: Restored | undefined
  await waitFor(async () => check((state = await storedState(store))), what, timeoutMs, 10)
  return state as Restored
}

/** The records a batch of ops wrote to the log. */
export function recordsOf(ops: readonly StoreOp[]): LogRecord[] {
  return ops.flatMap((op) => (op.type === 'put' && op.key.startsWith(LOG_PREFIX) ? readRecords(op.value) : []))
}

/** The log without its inbound packet ids: a store that forgets them (a control for the tests that they matter). */
export function withoutInbound(entries: Array<[string, Uint8Array]>): Array<[string, Uint8Array]> {
  return entries.map(([key, value]) => [key, key.startsWith(LOG_PREFIX) ? rewrite(readRecords(value)) : value])
}

function rewrite(records: LogRecord[]): Uint8Array {
  const w = new RecordWriter()
  for (const record of records) {
    if (record.type === R.INBOUND || record.type === R.INBOUND_DONE) continue
    if (record.type === R.RESET) w.u8(R.RESET)
    else if (record.type === R.MESSAGE) writeMessage(w, record.seq, record.message, record.queuedAt)
    else if (record.type === R.FLIGHT) writeFlight(w, record.seq, { pid: record.pid, released: false })
    else if (record.type === R.SUBSCRIBED) writeSubscription(w, record.filter, record.qos, record.options)
    else if (record.type === R.UNSUBSCRIBED || record.type === R.DROPPED) w.u8(record.type).str(record.filter)
    else if (record.type === R.RELEASED || record.type === R.UNSENT || record.type === R.SETTLED) w.u8(record.type).f64(record.seq)
  }
  return w.take()
}
