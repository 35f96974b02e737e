/**
 * Every fixture both ways: encode() must give the standard's bytes, and the decoder of the
 * receiving side must give back exactly the packet however the bytes are cut into chunks
 * (whole, one byte at a time, in two at every offset, and all fixtures in one stream).
 */
import { describe, expect, test } from 'vitest'
import { encode, fromClient, fromServer, PacketDecoder, type Packet } from '@x/simple'
import { comparable, fingerprint } from './comparable.js'
import { fixtures, fixturesFrom, type Fixture } from './fixtures.js'
import { byteDifference, cat } from './hex.js'
import { Prng, randomChunks } from '@x/test-support/prng.js'

const decoderFor = (direction: Fixture['direction']) => new PacketDecoder<Packet>(direction === 'server' ? fromServer : fromClient)

/** Every packet the chunks yield, in order. */
function decodeAll(direction: Fixture['direction'], chunks: Iterable<Uint8Array>): { packets: Packet[]; pending: boolean } {
  const decoder = decoderFor(direction)
  const packets: Packet[] = []
  for (const chunk of chunks) packets.push(...decoder.push(chunk))
  return { packets, pending: decoder.pending }
}

/**
 * Where to split a fixture in two: every offset (0 and the full length included, so empty chunks
 * are covered too), or for a large fixture, where that would copy gigabytes, the first and last
 * 32 offsets (the headers and the end) and 64 seeded random ones.
 */
function splitOffsets(f: Fixture): number[] {
  const n = f.bytes.length
  if (!f.large) return Array.from({ length: n + 1 }, (_, i) => i)
  const rng = new Prng(n)
  const offsets = new Set<number>()
  for (let i = 0; i <= 32; i++) offsets.add(i).add(n - i)
  for (let i = 0; i < 64; i++) offsets.add(rng.int(n + 1))
  return [...offsets].sort((a, b) => a - b)
}

test('the fixtures cover every packet type in every direction it travels', () => {
  const seen = (direction: Fixture['direction']) => [...new Set(fixturesFrom(direction).map((f) => f.packet.type))].sort()
  expect(seen('server')).toEqual(['connack', 'pingresp', 'puback', 'pubcomp', 'publish', 'pubrec', 'pubrel', 'suback', 'unsuback'])
  expect(seen('client')).toEqual([
    'connect',
    'disconnect',
    'pingreq',
    'puback',
    'pubcomp',
    'publish',
    'pubrec',
    'pubrel',
    'subscribe',
    'unsubscribe',
  ])
  expect(new Set(fixtures.map((f) => f.name)).size).toBe(fixtures.length)
})

for (const f of fixtures) {
  describe(f.name, () => {
    test('encode() gives the bytes of the standard', () => {
      expect(byteDifference(encode(f.packet), f.bytes)).toBeUndefined()
    })

    test('decodes whole to exactly the packet', () => {
      const { packets, pending } = decodeAll(f.direction, [f.bytes])
      expect(comparable(packets)).toStrictEqual(comparable([f.packet]))
      expect(pending).toBe(false)
    })

    test('decodes fed one byte at a time, yielding only on the last byte', () => {
      const decoder = decoderFor(f.direction)
      const packets: Packet[] = []
      // Counted rather than asserted per byte: an expect() per byte of the 2 MB fixture is slow.
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
        const decoder = decoderFor(f.direction)
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

describe.each(['server', 'client'] as const)('every %s fixture in one stream', (direction) => {
  // Seeded: a failure names its chunk size, and the same cut comes back on the next run.
  test.each([1, 2, 3, 7, 64, 1500, 65_536])('decodes in random chunks of 1..%i bytes', (maxChunk) => {
    const rng = new Prng(maxChunk * 7919)
    const list = fixturesFrom(direction)
    // A seeded shuffle, so that each type follows each other type in some run.
    for (let i = list.length - 1; i > 0; i--) {
      const j = rng.int(i + 1)
      ;[list[i], list[j]] = [list[j] as Fixture, list[i] as Fixture]
    }
    const stream = cat(...list.map((f) => f.bytes))
    const { packets, pending } = decodeAll(direction, randomChunks(stream, rng, maxChunk))
    expect(packets.map(fingerprint)).toEqual(list.map((f) => fingerprint(f.packet)))
    expect(pending).toBe(false)
  })

  test('decodes from Node Buffers (what sockets deliver) into plain Uint8Arrays', () => {
    const list = fixturesFrom(direction).filter((f) => !f.large)
    const { packets } = decodeAll(direction, [Buffer.from(cat(...list.map((f) => f.bytes)))])
    // comparable() names the class, so a Buffer payload would not compare equal to a Uint8Array.
    expect(packets.map(fingerprint)).toEqual(list.map((f) => fingerprint(f.packet)))
  })
})
