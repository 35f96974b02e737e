import { MqttError } from '@x/simple'
import type { Store, StoreOp } from './store.js'

// Node's setImmediate runs after the I/O of this turn; a browser has none (see receive-loop.ts).
const g = globalThis as { setImmediate?: (run: () => void) => unknown }
const nextTurn = (run: () => void): void => void (g.setImmediate ? g.setImmediate(run) : setTimeout(run, 0))

/**
 * The write-ahead log over a Store: changes recorded during one event-loop turn are committed as
 * one batch (group commit), one batch at a time, in order. Every change gets a number; `committed`
 * is the number of the last one the store has made durable, so a writer can wait for exactly what
 * was recorded before it (`whenCommitted()`), however busy the journal stays: `put()` and `del()`
 * return the number of their change.
 */
export class Journal {
  readonly #store: Store
  readonly #name: string
  #pending: StoreOp[] = []
  #recorded = 0
  #committed = 0
  #running = false
  #failure: MqttError | undefined
  readonly #waiting: Array<{ mark: number; run: () => void; fail?: (error: MqttError) => void }> = []
  /** Told once when a batch fails: the store can no longer be trusted to hold what follows. */
  onFailure: (error: MqttError) => void = () => {}

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

  put(key: string, value: Uint8Array): number {
    return this.#record({ type: 'put', key, value })
  }

  del(key: string): number {
    return this.#record({ type: 'del', key })
  }

  /** Whether every change recorded up to `mark` is durable. */
  isCommitted(mark: number): boolean {
    return mark <= this.#committed
  }

  /** Runs `run` once every change recorded up to `mark` is durable (at once if it is); never after a failure. */
  whenCommitted(mark: number, run: () => void): void {
    if (this.#failure) return
    if (mark <= this.#committed) return run()
    this.#waiting.push({ mark, run })
  }

  /** Resolves when everything recorded so far is durable; rejects with the failure if a batch failed. */
  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure)
    const mark = this.#recorded
    if (mark <= this.#committed) return Promise.resolve()
    return new Promise((run, fail) => void this.#waiting.push({ mark, run, fail }))
  }

  #record(op: StoreOp): number {
    if (this.#failure) return this.#recorded
    this.#pending.push(op)
    this.#recorded++
    if (this.#pending.length === 1 && !this.#running) nextTurn(() => void this.#commit())
    return this.#recorded
  }

  async #commit(): Promise<void> {
    if (this.#running || this.#failure) return
    this.#running = true
    while (this.#pending.length && !this.#failure) {
      const ops = this.#pending
      const mark = this.#recorded
      this.#pending = []
      try {
        await this.#store.batch(ops)
      } catch (error) {
        this.#fail(error)
        break
      }
      this.#committed = mark
      const ready = this.#waiting.filter((w) => w.mark <= mark)
      this.#waiting.splice(0, this.#waiting.length, ...this.#waiting.filter((w) => w.mark > mark))
      for (const w of ready) w.run()
    }
    this.#running = false
  }

  #fail(error: unknown): void {
    const cause = error instanceof Error ? error.message : String(error)
    this.#failure = new MqttError('ESTORE', `The store ${this.#name} failed a write (${cause}): what was not written is not sent`, {
      cause: error,
    })
    for (const { fail } of this.#waiting.splice(0)) fail?.(this.#failure)
    this.onFailure(this.#failure)
  }
}
