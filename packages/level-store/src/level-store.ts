/**
 * A Store (contract §7) on `level`: LevelDB through classic-level in Node, IndexedDB through
 * browser-level in browsers (level's own `browser` field picks one), so one implementation
 * serves both runtimes.
 */
import type { Store, StoreOp } from '@x/robust'
import { Level } from 'level'
import { storeError, storeMisuse } from './store-error.js'

type Db = Level<string, Uint8Array>

export interface LevelStoreOptions {
  /**
   * `true` (the default): LevelDB flushes its log to the disk before a batch resolves, so neither
   * a killed process nor a power cut loses it. `false`: a batch resolves once the operating system
   * has its bytes (LevelDB has written its log), so a killed, crashed or restarted process loses
   * nothing, but a power cut or a kernel crash may lose the last moments. Node only: in a browser
   * IndexedDB commits each batch, and the browser decides when it reaches the disk.
   */
  sync?: boolean
}

export class LevelStore implements Store {
  readonly location: string
  readonly #sync: boolean
  // Made at the first open(), not here: `level` opens a database as soon as it is constructed,
  // which would take the folder's lock (and fail unheard) before the owner asked for it.
  #db: Db | undefined

  /** `location`: a folder in Node (created if missing), the name of an IndexedDB database in a browser. */
  constructor(location: string, options: LevelStoreOptions = {}) {
    if (typeof location !== 'string' || location === '')
      throw storeMisuse(String(location), 'open', 'the location must be a non-empty string')
    if (typeof options !== 'object' || options === null) throw storeMisuse(location, 'open', 'the options must be an object ({ sync })')
    const { sync = true } = options
    if (typeof sync !== 'boolean')
      throw storeMisuse(location, 'open', `options.sync must be true or false, not ${JSON.stringify(sync) ?? typeof sync}`)
    this.location = location
    this.#sync = sync
  }

  async open(): Promise<void> {
    this.#db ??= new Level<string, Uint8Array>(this.location, { keyEncoding: 'utf8', valueEncoding: 'view' })
    try {
      await this.#db.open() // no-op when already open; waits for an open or close under way
    } catch (error) {
      throw storeError(this.location, 'open', error)
    }
  }

  async batch(ops: readonly StoreOp[]): Promise<void> {
    const db = this.#opened('write to')
    // Checked before the database sees any: level would store a string or an object as bytes of
    // its own choosing, and one bad op must leave nothing written.
    if (!Array.isArray(ops)) throw storeMisuse(this.location, 'write to', 'the batch must be an array of ops')
    ops.forEach((op, i) => this.#check(op, i))
    if (ops.length === 0) return
    try {
      // sync: LevelDB fsyncs its log before the batch resolves, so a crash after it loses nothing;
      // without, its log is written (the OS has it) but not flushed: a dying process loses nothing,
      // a dying machine may (classic-level; IndexedDB commits a transaction as a whole and ignores the option).
      await db.batch(ops as StoreOp[], { sync: this.#sync })
    } catch (error) {
      throw storeError(this.location, 'write to', error)
    }
  }

  async scan(prefix: string): Promise<Array<[key: string, value: Uint8Array]>> {
    const db = this.#opened('read')
    if (typeof prefix !== 'string' || !prefix.isWellFormed())
      throw storeMisuse(this.location, 'read', 'the prefix must be a well-formed string')
    const entries: Array<[string, Uint8Array]> = []
    try {
      // Keys starting with `prefix` are contiguous in the database's order (UTF-8 bytes), so the
      // scan stops at the first one that does not.
      for await (const [key, value] of db.iterator({ gte: prefix })) {
        if (!key.startsWith(prefix)) break
        entries.push([key, plain(value)])
      }
    } catch (error) {
      throw storeError(this.location, 'read', error)
    }
    return inCodeUnitOrder(entries)
  }

  async close(): Promise<void> {
    try {
      await this.#db?.close()
    } catch (error) {
      throw storeError(this.location, 'close', error)
    }
  }

  #opened(action: 'write to' | 'read'): Db {
    // Closed or closing: level itself rejects with LEVEL_DATABASE_NOT_OPEN, kept as the cause.
    // Opening: level holds the operation until the open has finished.
    if (this.#db === undefined) throw storeMisuse(this.location, action, 'it is not open (open() was never called)')
    return this.#db
  }

  #check(op: StoreOp, i: number): void {
    const bad = (problem: string): never => {
      throw storeMisuse(this.location, 'write to', `op ${i} of the batch ${problem}; nothing was written`)
    }
    if (typeof op !== 'object' || op === null || (op.type !== 'put' && op.type !== 'del'))
      bad("is neither { type: 'put' } nor { type: 'del' }")
    // A lone surrogate would be written as U+FFFD: two different keys would become one.
    if (typeof op.key !== 'string' || !op.key.isWellFormed()) bad('has a key that is not a well-formed string')
    if (op.type === 'put' && !(op.value instanceof Uint8Array)) bad('has a value that is not a Uint8Array')
  }
}

/** classic-level hands back Buffers; the Store gives plain Uint8Arrays (the same memory), as in a browser. */
function plain(value: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(value) === Uint8Array.prototype ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
}

// UTF-8 byte order (the database's) and UTF-16 code unit order (the Store's, JavaScript's) agree
// except between U+E000–U+FFFF and the characters beyond U+FFFF: re-sorted only then.
function inCodeUnitOrder(entries: Array<[string, Uint8Array]>): Array<[string, Uint8Array]> {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i - 1]![0] > entries[i]![0]) return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }
  return entries
}
