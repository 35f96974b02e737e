/**
 * Seeded fuzzing of both decoders with random bytes and mutated fixtures, bounded by count and
 * by wall time. The promise under test (CONTRACT §2, "Inbound bytes are never trusted"): a typed
 * MqttError and nothing else, never a crash, a hang or unbounded memory; and what is decoded
 * does not depend on how the bytes were cut into chunks.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect, test } from 'vitest'
import { encode, fromClient, fromServer, isMqttError, PacketDecoder, type ErrorCode, type Packet } from '@x/simple'
import { fixtures, type Fixture } from './fixtures.js'
import { cat, toHex } from './hex.js'
import { decodeUntilError } from './round-trips.js'
import { Prng, randomChunks } from '@x/test-support/prng.js'

const SEED = 20_240_611
const MAX_INPUTS = 50_000
const MAX_MS = 10_000
// Small limits, so that oversize packets are common and the limit is exercised.
const CAPS = [4096, 4096, 4096, 64, 65_536]
// The codes a decoder may throw: malformed, wrong length, wrong direction, oversize, bad CONNACK, bad SUBACK.
const DECODE_CODES = new Set<ErrorCode>(['EMALFORMED', 'EREADLEN', 'ERESPONSE', 'EOVERSIZE', 'ECONLENGTH', 'ESUBACKUNKNOWN'])
// First bytes that get past the type and flags checks, so that random bodies get parsed too.
const FIRST_BYTES = {
  server: [0x20, 0x30, 0x32, 0x35, 0x3b, 0x40, 0x50, 0x62, 0x70, 0x90, 0xb0, 0xd0],
  client: [0x10, 0x30, 0x33, 0x3c, 0x40, 0x50, 0x62, 0x70, 0x82, 0xa2, 0xc0, 0xe0],
} as const
const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xbf, 0xc0, 0xed, 0xef, 0xf4, 0xff, 0x23, 0x2b, 0x2f]

type Direction = Fixture['direction']

interface Result {
  packets: Packet[]
  code?: ErrorCode
  /** Set when the decoder broke its promise. */
  problem?: string
}

function decode(direction: Direction, chunks: readonly Uint8Array[], cap?: number): Result {
  const decoder = new PacketDecoder<Packet>(direction === 'server' ? fromServer : fromClient, cap)
  const { packets, error } = decodeUntilError(decoder, chunks)
  if (error === undefined) return { packets }
  if (!isMqttError(error)) return { packets, problem: `threw ${String(error)}` }
  if (!DECODE_CODES.has(error.code)) return { packets, problem: `threw an MqttError with code ${error.code}: ${error.message}` }
  if (!error.message) return { packets, problem: `threw ${error.code} with an empty message` }
  return { packets, code: error.code }
}

/** A random input: mostly fixtures with a few mutations, sometimes plain random bytes. */
function makeInput(rng: Prng, small: readonly Fixture[]): { direction: Direction; bytes: Uint8Array } {
  if (rng.next() < 0.3) {
    const direction: Direction = rng.next() < 0.5 ? 'server' : 'client'
    const bytes = rng.bytes(rng.pick([8, 64, 600]) > 8 ? rng.int(rng.pick([64, 600])) : rng.int(9))
    if (bytes.length && rng.next() < 0.6) bytes[0] = rng.pick(FIRST_BYTES[direction])
    // A plausible one-byte Remaining Length, so that the body is read rather than waited for.
    if (bytes.length > 1 && rng.next() < 0.5) bytes[1] = rng.int(Math.min(bytes.length - 1, 128))
    return { direction, bytes }
  }
  const parts = Array.from({ length: rng.range(1, 3) }, () => rng.pick(small))
  const first = parts[0] as Fixture
  // Mostly the side the fixture is meant for; sometimes the other, to reach the ERESPONSE paths.
  const direction: Direction = rng.next() < 0.85 ? first.direction : first.direction === 'server' ? 'client' : 'server'
  let bytes = cat(...parts.map((f) => f.bytes))
  for (let n = rng.range(1, 4); n > 0; n--) bytes = mutate(bytes, rng)
  return { direction, bytes }
}

function mutate(input: Uint8Array, rng: Prng): Uint8Array {
  const bytes = input.slice()
  const at = rng.int(Math.max(bytes.length, 1))
  switch (rng.int(8)) {
    case 0: // flip a bit
      if (bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << rng.int(8))
      return bytes
    case 1: // a random byte
      if (bytes.length) bytes[at] = rng.int(256)
      return bytes
    case 2: // a byte that sits on a boundary of some rule
      if (bytes.length) bytes[at] = rng.pick(INTERESTING)
      return bytes
    case 3: // truncate
      return bytes.subarray(0, at)
    case 4: // insert random bytes
      return cat(bytes.subarray(0, at), rng.bytes(rng.range(1, 8)), bytes.subarray(at))
    case 5: // delete a range
      return cat(bytes.subarray(0, at), bytes.subarray(at + rng.range(1, 8)))
    case 6: {
      // change the Remaining Length, or a two-byte length field, a little or a lot
      const i = rng.next() < 0.5 ? 1 : at
      if (i < bytes.length) bytes[i] = rng.next() < 0.5 ? ((bytes[i] as number) + rng.pick([-1, 1, 2, 128])) & 255 : rng.int(256)
      if (rng.next() < 0.3 && i + 1 < bytes.length) bytes[i + 1] = rng.int(256)
      return bytes
    }
    default: // duplicate a range
      return cat(bytes.subarray(0, at), bytes.subarray(at, at + rng.range(1, 16)), bytes.subarray(at))
  }
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/** Everything the decoders must do with one input; the broken promise as a sentence, if any. */
function check(direction: Direction, bytes: Uint8Array, rng: Prng, cap: number): string | undefined {
  const whole = decode(direction, [bytes], cap)
  if (whole.problem) return whole.problem
  const chunks = randomChunks(bytes, rng, rng.pick([1, 2, 3, 8, 64, Math.max(bytes.length, 1)]))
  const cut = decode(direction, chunks, cap)
  if (cut.problem) return `${cut.problem} (chunks of ${chunks.map((c) => c.length).join('+')})`
  // Every packet takes at least two bytes, so the number yielded is bounded by the input.
  if (whole.packets.length > bytes.length / 2) return `${whole.packets.length} packets from ${bytes.length} bytes`
  const encoded: Uint8Array[] = []
  for (const p of whole.packets) {
    let again: Uint8Array
    try {
      again = encode(p)
    } catch (error) {
      return `a decoded ${p.type} does not encode: ${String(error)}`
    }
    // Re-encoding uses the shortest Remaining Length, so it is never longer than the input was.
    if (again.length > cap) return `a ${again.length}-byte ${p.type} got past maxPacketBytes ${cap}`
    // A decoded packet must survive encode → decode → encode unchanged.
    const round = decode(direction, [again])
    const back = round.packets.length === 1 && !round.code ? encode(round.packets[0] as Packet) : undefined
    if (!back || !sameBytes(back, again)) return `decoded ${p.type} does not round-trip: ${toHex(again, 64)}`
    encoded.push(again)
  }
  const cutEncoded = cut.packets.map((p) => encode(p))
  if (
    cut.code !== whole.code ||
    cutEncoded.length !== encoded.length ||
    !encoded.every((e, i) => sameBytes(e, cutEncoded[i] as Uint8Array))
  ) {
    return `chunking changed the result: whole ${encoded.length} packets then ${whole.code ?? 'no error'}, in chunks of ${chunks
      .map((c) => c.length)
      .join('+')} ${cutEncoded.length} packets then ${cut.code ?? 'no error'}`
  }
  return undefined
}

/** V8's collector, exposed the way jest's leak detection does it, so the heap figure is not noise. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) return exposed
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

test('random and mutated input: only MqttErrors, same result in any chunking, packets within maxPacketBytes, bounded memory', () => {
  const gc = collector()
  const small = fixtures.filter((f) => !f.large && f.bytes.length <= 400)
  const rng = new Prng(SEED)
  gc()
  const before = process.memoryUsage()
  const started = performance.now()
  let inputs = 0
  let yielded = 0
  let refused = 0
  let failure: string | undefined
  while (inputs < MAX_INPUTS && !failure && (inputs % 256 || performance.now() - started < MAX_MS)) {
    const { direction, bytes } = makeInput(rng, small)
    const cap = rng.pick(CAPS)
    inputs++
    const problem = check(direction, bytes, rng, cap)
    if (problem) {
      failure = `input #${inputs} (seed ${SEED}), ${direction} direction, maxPacketBytes ${cap}: ${problem}\n  input: ${toHex(bytes, 1024)}`
      break
    }
    const result = decode(direction, [bytes], cap)
    if (result.packets.length) yielded++
    if (result.code) refused++
  }
  const elapsed = performance.now() - started
  gc()
  const after = process.memoryUsage()

  expect(failure).toBeUndefined()
  // Not vacuous: a real number of inputs ran, and both outcomes were common.
  expect(inputs).toBeGreaterThanOrEqual(Math.min(MAX_INPUTS, 5_000))
  expect(yielded / inputs).toBeGreaterThan(0.05)
  expect(refused / inputs).toBeGreaterThan(0.05)
  expect(elapsed).toBeLessThan(MAX_MS + 2_000)
  // Every decoder is dropped after its input: whatever stays reachable is a leak.
  expect(after.heapUsed - before.heapUsed, 'heap growth in bytes').toBeLessThan(16 * 2 ** 20)
  expect(after.arrayBuffers - before.arrayBuffers, 'ArrayBuffer growth in bytes').toBeLessThan(16 * 2 ** 20)
})

test('one long-lived decoder keeps no more than one packet buffered', () => {
  const gc = collector()
  const rng = new Prng(SEED + 1)
  const server = fixtures.filter((f) => f.direction === 'server' && !f.large)
  const stream = cat(...server.map((f) => f.bytes))
  const decoder = new PacketDecoder<Packet>(fromServer, 65_536)
  gc()
  const before = process.memoryUsage()
  const started = performance.now()
  let packets = 0
  let rounds = 0
  // About 20 MB through one decoder; a decoder that kept consumed bytes would show it.
  for (; rounds < 500 && performance.now() - started < 5_000; rounds++) {
    for (const chunk of randomChunks(stream, rng, 4096)) for (const _ of decoder.push(chunk)) packets++
  }
  gc()
  const after = process.memoryUsage()
  expect(packets).toBe(rounds * server.length)
  expect(decoder.pending).toBe(false)
  expect(after.heapUsed - before.heapUsed, 'heap growth in bytes').toBeLessThan(16 * 2 ** 20)
  expect(after.arrayBuffers - before.arrayBuffers, 'ArrayBuffer growth in bytes').toBeLessThan(16 * 2 ** 20)
})
