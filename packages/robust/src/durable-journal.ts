import { MqttError } from '@x/simple'
import { R, RecordWriter, segmentKey } from './durable-records.js'
import type { Store, StoreOp } from './store.js'

// Node's setImmediate runs after the I/O of this turn; a browser has none (see receive-loop.ts).
const g = globalThis as { setImmediate?: (run: () => void) => unknown }
const nextTurn = (run: () => void): void => void (g.setImmediate ? g.setImmediate(run) : setTimeout(run, 0))

// How long a change may wait for a batch when nothing waits for it (a settled message, a queued
// one while the sender is far behind): the changes of that time go as one batch, one sync. A
// change something waits for (a packet held by the gate, a flush) is written at the next turn.
const IDLE_COMMIT_MS = 10

// The log is rewritten as one snapshot once what was appended since the last one passes this
// many bytes plus twice the last snapshot: the store stays within about three times what is owed
// plus this, and each byte appended is rewritten about once at most (amortized).
const COMPACT_AFTER = 64 * 1024

/**
 * The write-ahead log over a Store: changes are committed in batches (group commit), one batch at
 * a time, in order: at the next event-loop turn once something waits for a change (a packet the
 * gate holds, a flush), else within IDLE_COMMIT_MS, each batch with everything recorded before it.
 * The records of a batch are one value under the next log key (durable-records.ts), and now and
 * then that value is a snapshot of the whole state (`snapshot`) that replaces the log before it.
 * Every change gets a number; `committed` is the number of the last one the store has made
 * durable, so a writer can wait for exactly what was recorded before it (`whenCommitted()`),
 * however busy the journal stays: `record()`, `put()` and `del()` return the number of their change.
 */
export class Journal {
  readonly #store: Store
  readonly #name: string
  /** This turn's records. */
  readonly #records = new RecordWriter()
  /** This turn's keyed changes (outside the log: the store's owner). */
  #ops: StoreOp[] = []
  #recorded = 0
  #committed = 0
  #running = false
  /** The idle timer, and whether a batch is due at the next turn. */
  #idle: ReturnType<typeof setTimeout> | undefined
  #due = false
  #failure: MqttError | undefined
  /** stop() was called: nothing more is written, and what waits for more is told this. */
  #stopped: MqttError | undefined
  readonly #waiting: Array<{ mark: number; run: () => void; fail?: (error: MqttError) => void }> = []
  /** The next log key's number, and the keys in the store now (deleted by the next snapshot). */
  #next = 1
  #written: number[] = []
  /** Bytes appended since the last snapshot, and that snapshot's size. */
  #appended = 0
  #snapshotBytes = 0
  /** Told once when a batch fails: the store can no longer be trusted to hold what follows. */
  onFailure: (error: MqttError) => void = () => {}
  /** Writes the whole state as records (after RESET); without it the log is never compacted. */
  snapshot: ((records: RecordWriter) => void) | undefined

  constructor(store: Store, name: string) {
    this.#store = store
    this.#name = name
  }

  /** The number of the last change recorded. */
  get recorded(): number {
    return this.#recorded
  }

  /** The failure that stopped the journal, if one did. */
  get failure(): MqttError | undefined {
    return this.#failure
  }

  /** The log as read back from the store: its keys' numbers (in order) and the bytes since its last snapshot, which the next values follow. */
  resume(written: readonly number[], appended: number, snapshotBytes: number): void {
    this.#written = [...written]
    this.#next = (written.at(-1) ?? 0) + 1
    this.#appended = appended
    this.#snapshotBytes = snapshotBytes
  }

  /**
   * Writes nothing more (its owner's client closed): later changes are dropped, the idle timer is
   * cleared, and a batch under way is the last. What was pending was flushed before.
   */
  stop(): void {
    this.#stopped ??= new MqttError('ECLOSED', `The client was closed: the store ${this.#name} is its owner's again`)
    clearTimeout(this.#idle)
    this.#idle = undefined
    if (!this.#running) this.#abandon(this.#stopped)
  }

  /** Failed or stopped: what still waits for a batch that will not come is told why (a held packet is dropped, a flush rejects). */
  #abandon(why: MqttError): void {
    for (const { fail } of this.#waiting.splice(0)) fail?.(why)
  }

  /** Appends records (`write` writes them) to this turn's value. */
  record(write: (records: RecordWriter) => void): number {
    if (this.#failure || this.#stopped) return this.#recorded
    write(this.#records)
    return this.#changed()
  }

  put(key: string, value: Uint8Array): number {
    if (this.#failure || this.#stopped) return this.#recorded
    this.#ops.push({ type: 'put', key, value })
    return this.#changed()
  }

  del(key: string): number {
    if (this.#failure || this.#stopped) return this.#recorded
    this.#ops.push({ type: 'del', key })
    return this.#changed()
  }

  #changed(): number {
    if (!this.#running && this.#recorded === this.#committed) this.#later()
    return ++this.#recorded
  }

  /** A batch within IDLE_COMMIT_MS, unless one is due sooner. */
  #later(): void {
    this.#idle ??= setTimeout(() => void this.#commit(), IDLE_COMMIT_MS)
  }

  /** A batch at the next turn: something waits for what is recorded. */
  #soon(): void {
    if (this.#running || this.#due) return
    this.#due = true
    nextTurn(() => void this.#commit())
  }

  /** Whether every change recorded up to `mark` is durable. */
  isCommitted(mark: number): boolean {
    return mark <= this.#committed
  }

  /**
   * Runs `run` once every change recorded up to `mark` is durable (at once if it is), or `fail`
   * if the journal fails first (at once if it has).
   */
  whenCommitted(mark: number, run: () => void, fail?: (error: MqttError) => void): void {
    if (this.#failure) return fail?.(this.#failure)
    if (mark <= this.#committed) return run()
    if (this.#stopped && !this.#running) return fail?.(this.#stopped)
    this.#waiting.push(fail ? { mark, run, fail } : { mark, run })
    this.#soon()
  }

  /** Resolves when everything recorded so far is durable; rejects with the failure if a batch failed. */
  flush(): Promise<void> {
    return new Promise((run, fail) => this.whenCommitted(this.#recorded, run, fail))
  }

  /** The next batch: this turn's keyed changes and its records as the next log value, or the snapshot that replaces the log. */
  #batch(): StoreOp[] {
    const ops = this.#ops
    this.#ops = []
    if (!this.#records.length) return ops
    const n = this.#next++
    let value: Uint8Array
    if (this.snapshot && this.#appended + this.#records.length > COMPACT_AFTER + 2 * this.#snapshotBytes) {
      // This turn's records are in the state the snapshot writes.
      this.#records.take()
      this.snapshot(this.#records.u8(R.RESET))
      value = this.#records.take()
      for (const old of this.#written) ops.push({ type: 'del', key: segmentKey(old) })
      this.#written = []
      this.#appended = 0
      this.#snapshotBytes = value.length
    } else {
      value = this.#records.take()
      this.#appended += value.length
    }
    this.#written.push(n)
    ops.push({ type: 'put', key: segmentKey(n), value })
    return ops
  }

  async #commit(): Promise<void> {
    clearTimeout(this.#idle)
    this.#idle = undefined
    this.#due = false
    if (this.#running || this.#failure || this.#stopped) return
    this.#running = true
    // One batch, then more while someone waits; what nobody waits for waits for the idle timer.
    let first = true
    while (this.#recorded > this.#committed && !this.#failure && !this.#stopped && (first || this.#waiting.length)) {
      first = false
      const mark = this.#recorded
      try {
        await this.#store.batch(this.#batch())
      } catch (error) {
        this.#fail(error)
        break
      }
      this.#committed = mark
      // One pass: what is durable now runs, the rest keeps waiting, in order.
      const ready: Array<() => void> = []
      let kept = 0
      for (const w of this.#waiting) {
        if (w.mark <= mark) ready.push(w.run)
        else this.#waiting[kept++] = w
      }
      this.#waiting.length = kept
      for (const run of ready) run()
    }
    this.#running = false
    if (this.#stopped) this.#abandon(this.#stopped)
    else if (this.#recorded > this.#committed && !this.#failure) this.#later()
  }

  #fail(error: unknown): void {
    const cause = error instanceof Error ? error.message : String(error)
    this.#failure = new MqttError('ESTORE', `The store ${this.#name} failed a write (${cause}): what was not written is not sent`, {
      cause: error,
    })
    this.#abandon(this.#failure)
    this.onFailure(this.#failure)
  }
}
