/**
 * Where @x/robust keeps what it owes the broker, so that it survives the process (contract §7).
 * Small on purpose: keyed puts and deletes applied in atomic batches, an ordered scan by prefix,
 * open and close. `@x/level-store` implements it on a real embedded database (LevelDB in Node,
 * IndexedDB in browsers); `MemoryStore` keeps it in memory (for tests, and as the reference).
 */

/** One change of a batch: a value put under a key, or a key deleted. */
export type StoreOp =
  { readonly type: 'put'; readonly key: string; readonly value: Uint8Array } | { readonly type: 'del'; readonly key: string }

export interface Store {
  /** Opens the store (creating it if new). Rejects when it cannot be opened: locked by another process, corrupt, unreadable. Idempotent. */
  open(): Promise<void>
  /** Applies every change at once, or none of them (a crash in the middle leaves the store as before); durable when it resolves. */
  batch(ops: readonly StoreOp[]): Promise<void>
  /** Every key that starts with `prefix`, with its value, in key order (keys compare as strings of UTF-16 code units). */
  scan(prefix: string): Promise<Array<[key: string, value: Uint8Array]>>
  /** Closes the store; its owner calls it (a RobustClient's `close()` leaves the store open). */
  close(): Promise<void>
}

/** A Store in memory: what a real one must do, without the disk (tests, and a reference for implementations). */
export class MemoryStore implements Store {
  readonly #entries = new Map<string, Uint8Array>()
  #open = false

  async open(): Promise<void> {
    this.#open = true
  }

  async batch(ops: readonly StoreOp[]): Promise<void> {
    if (!this.#open) throw new Error('MemoryStore: not open')
    for (const op of ops) {
      if (op.type === 'put') this.#entries.set(op.key, op.value.slice())
      else this.#entries.delete(op.key)
    }
  }

  async scan(prefix: string): Promise<Array<[key: string, value: Uint8Array]>> {
    if (!this.#open) throw new Error('MemoryStore: not open')
    return [...this.#entries]
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]): [string, Uint8Array] => [key, value.slice()])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  async close(): Promise<void> {
    this.#open = false
  }
}
