/**
 * The round trips every fixture of a codec goes through, for 3.1.1 and 5.0 alike: `encode` must
 * give the standard's bytes, and the decoder of the receiving side must give back exactly the
 * packet however the bytes are cut (whole, one byte at a time, in two at every offset, and all
 * fixtures of a direction in one stream, in seeded random chunks).
 */
import { describe, expect, test } from 'vitest'
import { Prng, randomChunks } from '@x/test-support/prng.js'
import { comparable, fingerprint } from './comparable.js'
import { byteDifference, cat } from './hex.js'

type Direction = 'server' | 'client'

export interface RoundTripFixture<P> {
  name: string
  direction: Direction
  packet: P
  bytes: Uint8Array
  /** Too large to split at every offset (it would copy gigabytes): sampled offsets instead. */
  large?: boolean
}

export interface Codec<P> {
  /** Names the encoder in the tests' titles. */
  encodeName: string
  encode(packet: P): Uint8Array
  decoderFor(direction: Direction): { push(chunk: Uint8Array): Iterable<P>; readonly pending: boolean }
}

/** Every packet the chunks yield, in order. */
export function decodeAll<P>(codec: Codec<P>, direction: Direction, chunks: Iterable<Uint8Array>): { packets: P[]; pending: boolean } {
  const decoder = codec.decoderFor(direction)
  const packets: P[] = []
  for (const chunk of chunks) packets.push(...decoder.push(chunk))
  return { packets, pending: decoder.pending }
}

/** Every packet the chunks yield until the decoder throws, and what it threw (`undefined` if nothing). */
export function decodeUntilError<P>(
  decoder: { push(chunk: Uint8Array): Iterable<P> },
  chunks: Iterable<Uint8Array>,
): { packets: P[]; error: unknown } {
  const packets: P[] = []
  try {
    for (const chunk of chunks) for (const p of decoder.push(chunk)) packets.push(p)
  } catch (error) {
    return { packets, error }
  }
  return { packets, error: undefined }
}

/** The bytes one chunk each, as a slow link delivers them. */
export const bytewise = (bytes: Uint8Array): Uint8Array[] => Array.from(bytes, (b) => Uint8Array.of(b))

/**
 * Where to split a fixture in two: every offset (0 and the full length included, so empty chunks
 * are covered too), or for a large fixture the first and last 32 offsets (the headers and the end)
 * and 64 seeded random ones.
 */
function splitOffsets(f: RoundTripFixture<unknown>): number[] {
  const n = f.bytes.length
  if (!f.large) return Array.from({ length: n + 1 }, (_, i) => i)
  const rng = new Prng(n)
  const offsets = new Set<number>()
  for (let i = 0; i <= 32; i++) offsets.add(i).add(n - i)
  for (let i = 0; i < 64; i++) offsets.add(rng.int(n + 1))
  return [...offsets].sort((a, b) => a - b)
}

/** One describe() per fixture: encoded, decoded whole, byte by byte, and split in two. */
export function describeRoundTrips<P>(codec: Codec<P>, fixtures: ReadonlyArray<RoundTripFixture<P>>): void {
  for (const f of fixtures) {
    describe(f.name, () => {
      test(`${codec.encodeName}() gives the bytes of the standard`, () => {
        expect(byteDifference(codec.encode(f.packet), f.bytes)).toBeUndefined()
      })

      test('decodes whole to exactly the packet', () => {
        const { packets, pending } = decodeAll(codec, f.direction, [f.bytes])
        expect(comparable(packets)).toStrictEqual(comparable([f.packet]))
        expect(pending).toBe(false)
      })

      test('decodes fed one byte at a time, yielding only on the last byte', () => {
        const decoder = codec.decoderFor(f.direction)
        const packets: P[] = []
        // Counted rather than asserted per byte: an expect() per byte of a 2 MB fixture is slow.
        let earlyAt = -1
        let notPendingAt = -1
        for (let i = 0; i < f.bytes.length; i++) {
          const before = packets.length
          packets.push(...decoder.push(f.bytes.subarray(i, i + 1)))
          const last = i === f.bytes.length - 1
          if (!last && packets.length > before && earlyAt < 0) earlyAt = i
          if (!last && !decoder.pending && notPendingAt < 0) notPendingAt = i
        }
        expect(earlyAt, 'offset of a packet yielded before its last byte').toBe(-1)
        expect(notPendingAt, 'offset where a partial packet was not reported as pending').toBe(-1)
        expect(comparable(packets)).toStrictEqual(comparable([f.packet]))
        expect(decoder.pending).toBe(false)
      })

      test(f.large ? 'decodes split in two at sampled offsets' : 'decodes split in two at every offset', () => {
        const want = fingerprint([f.packet])
        const failures: string[] = []
        for (const at of splitOffsets(f)) {
          const decoder = codec.decoderFor(f.direction)
          const first = [...decoder.push(f.bytes.subarray(0, at))]
          const second = [...decoder.push(f.bytes.subarray(at))]
          const complete = at === f.bytes.length
          if (first.length !== (complete ? 1 : 0) || fingerprint([...first, ...second]) !== want || decoder.pending) {
            failures.push(`split at ${at}: ${fingerprint([first, second])}`)
          }
        }
        expect(failures.slice(0, 5)).toEqual([])
      })
    })
  }
}

/** Every fixture of `direction` in one stream, shuffled (seeded), decoded from random chunks of 1..maxChunk bytes. */
export function decodesAsOneStream<P>(
  codec: Codec<P>,
  fixtures: ReadonlyArray<RoundTripFixture<P>>,
  direction: Direction,
  maxChunk: number,
  seed: number,
): void {
  const rng = new Prng(seed)
  const list = fixtures.filter((f) => f.direction === direction)
  // A seeded shuffle, so that each type follows each other type in some run.
  for (let i = list.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[list[i], list[j]] = [list[j] as RoundTripFixture<P>, list[i] as RoundTripFixture<P>]
  }
  const { packets, pending } = decodeAll(codec, direction, randomChunks(cat(...list.map((f) => f.bytes)), rng, maxChunk))
  expect(packets.map(fingerprint)).toEqual(list.map((f) => fingerprint(f.packet)))
  expect(pending).toBe(false)
}
