/**
 * A small seeded generator (mulberry32), so that every random chunking and fuzz input can be
 * reproduced from its seed.
 */
export class Prng {
  #state: number

  constructor(seed: number) {
    this.#state = seed >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}

/** Cuts `bytes` into consecutive chunks of 1..maxChunk bytes (views, not copies). */
export function randomChunks(bytes: Uint8Array, rng: Prng, maxChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  let at = 0
  while (at < bytes.length) {
    const n = rng.range(1, maxChunk)
    chunks.push(bytes.subarray(at, at + n))
    at += n
  }
  return chunks
}
