/**
 * Seeded fuzzing of the MQTT 5.0 decoders with mutated fixtures, bounded by count and wall time:
 * a typed MqttError carrying a reason code (0x81, 0x82, 0x84, 0x94 or 0x95) and nothing else,
 * never a crash or a hang, and the same outcome however the bytes are cut into chunks.
 */
import { expect, test } from 'vitest'
import { fromClientV5, fromServerV5, PacketDecoderV5, type PacketV5 } from '@x/simple/codec'
import { isMqttError } from '@x/errno'
import { fingerprint } from '../comparable.js'
import { decodeUntilError } from '../round-trips.js'
import { Prng, randomChunks } from '@x/test-support/prng.js'
import { handWritten, propertyFixtures, type FixtureV5 } from './fixtures-v5.js'
import { allowedIn } from './spec-table.js'

const MAX_INPUTS = 30_000
const MAX_MS = 8_000
const REASONS = new Set([0x81, 0x82, 0x84, 0x94, 0x95])
const fixtures = [...handWritten, ...propertyFixtures(allowedIn)]

function decode(direction: FixtureV5['direction'], chunks: Iterable<Uint8Array>): string {
  const decoder = new PacketDecoderV5<PacketV5>(direction === 'server' ? fromServerV5 : fromClientV5, 4096)
  const { packets, error } = decodeUntilError(decoder, chunks)
  if (error === undefined) return fingerprint(packets)
  if (!isMqttError(error)) return `PROBLEM threw ${String(error)}`
  const reasonCode = (error as { reasonCode?: number }).reasonCode
  if (reasonCode === undefined || !REASONS.has(reasonCode)) return `PROBLEM ${error.code} without a reason code: ${error.message}`
  return `${fingerprint(packets)} then ${error.code} ${reasonCode}`
}

test(`${MAX_INPUTS} mutated v5 packets: typed errors with a reason code, the same in any chunking`, () => {
  const rng = new Prng(50_050)
  const started = Date.now()
  const problems: string[] = []
  let n = 0
  for (; n < MAX_INPUTS && Date.now() - started < MAX_MS; n++) {
    const f = rng.pick(fixtures)
    const bytes = f.bytes.slice()
    for (let k = rng.range(1, 3); k > 0; k--) {
      const at = rng.int(bytes.length)
      bytes[at] = rng.next() < 0.5 ? rng.int(256) : (bytes[at] as number) ^ (1 << rng.int(8))
    }
    const whole = decode(f.direction, [bytes])
    if (whole.startsWith('PROBLEM')) problems.push(`${f.name}: ${whole}`)
    else if (decode(f.direction, randomChunks(bytes, rng, 5)) !== whole) problems.push(`${f.name}: chunking changed the outcome`)
  }
  expect(problems.slice(0, 5)).toEqual([])
  expect(n).toBeGreaterThan(1000)
})
