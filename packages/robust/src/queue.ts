import type { OverflowPolicy } from './options.js'

/** What the queue needs to know of an item: how many bytes it holds. */
export interface Sized {
  readonly bytes: number
}

/** The outcome of `push()`: whether the new item was taken, and what was dropped to make room. */
export interface PushResult<T> {
  accepted: boolean
  dropped: T[]
}

/**
 * A FIFO queue bounded by count and by bytes. When a new item does not fit, the overflow policy
 * decides: drop the oldest items until it fits, drop the new item, or refuse it (`reject`).
 * Items put back with `unshift()` (sent, then lost with the link) bypass the bounds: they were
 * accepted once and must not be lost. No method spreads its items into arguments, so any number
 * of them works.
 */
export class BoundedQueue<T extends Sized> {
  #items: T[] = []
  #head = 0
  #bytes = 0
  readonly maxItems: number
  readonly maxBytes: number
  readonly overflow: OverflowPolicy

  constructor(maxItems: number, maxBytes: number, overflow: OverflowPolicy) {
    this.maxItems = maxItems
    this.maxBytes = maxBytes
    this.overflow = overflow
  }

  get length(): number {
    return this.#items.length - this.#head
  }

  get bytes(): number {
    return this.#bytes
  }

  #fits(item: T): boolean {
    return this.length < this.maxItems && this.#bytes + item.bytes <= this.maxBytes
  }

  /** Adds at the end; `anyway` skips the bounds (for an item that is not waiting, only passing through). */
  push(item: T, anyway = false): PushResult<T> {
    const dropped: T[] = []
    if (!anyway && !this.#fits(item)) {
      // An item bigger than the whole queue can never fit: dropping others would not help.
      if (this.overflow !== 'drop-oldest' || item.bytes > this.maxBytes || this.maxItems === 0) {
        return { accepted: false, dropped: this.overflow === 'drop-newest' ? [item] : [] }
      }
      while (!this.#fits(item)) dropped.push(this.shift() as T)
    }
    this.#items.push(item)
    this.#bytes += item.bytes
    return { accepted: true, dropped }
  }

  /** Puts items back at the front, in their order, whatever the bounds. */
  unshift(items: readonly T[]): void {
    if (!items.length) return
    this.#items = items.concat(this.#items.slice(this.#head))
    this.#head = 0
    for (const item of items) this.#bytes += item.bytes
  }

  /** The first item, without taking it. */
  peek(): T | undefined {
    return this.#items[this.#head]
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined
    const item = this.#items[this.#head] as T
    this.#items[this.#head++] = undefined as unknown as T
    this.#bytes -= item.bytes
    // Compact now and then, so the array does not grow for ever.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return item
  }

  /** Removes and returns everything. */
  clear(): T[] {
    const items = this.#items.slice(this.#head)
    this.#items = []
    this.#head = 0
    this.#bytes = 0
    return items
  }
}
