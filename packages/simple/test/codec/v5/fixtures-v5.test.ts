/**
 * Every MQTT 5.0 fixture both ways: encodeV5() must give the standard's bytes, and the decoder of
 * the receiving side must give back exactly the packet however the bytes are cut (whole, one
 * byte at a time, in two at every offset, all fixtures in one stream in random chunks).
 */
import { describe, expect, test } from 'vitest'
import { encodeV5, fromClientV5, fromServerV5, PacketDecoderV5, PROPERTIES, type PacketV5 } from '@x/simple/codec'
import { fingerprint } from '../comparable.js'
import { cat } from '../hex.js'
import { decodeAll, decodesAsOneStream, describeRoundTrips, type Codec } from '../round-trips.js'
import { handWritten, propertyFixtures, type FixtureV5 } from './fixtures-v5.js'
import { allowedIn, SPEC } from './spec-table.js'

const fixtures = [...handWritten, ...propertyFixtures(allowedIn)]
const from = (direction: FixtureV5['direction']) => fixtures.filter((f) => f.direction === direction)
const codec: Codec<PacketV5> = {
  encodeName: 'encodeV5',
  encode: encodeV5,
  decoderFor: (direction) => new PacketDecoderV5<PacketV5>(direction === 'server' ? fromServerV5 : fromClientV5),
}

test("the codec's property table is the standard's (MQTT 5.0 §2.2.2.2)", () => {
  const TYPES: Record<string, string> = {
    flag: 'byte',
    byte: 'byte',
    u16: 'two byte integer',
    u32: 'four byte integer',
    varint: 'variable byte integer',
    string: 'utf-8 string',
    binary: 'binary data',
    pair: 'utf-8 string pair',
  }
  const ours = PROPERTIES.map((p) => [p.id, p.name, TYPES[p.type], [...p.in].sort()])
  expect(ours).toEqual(SPEC.map(([id, name, type, where]) => [id, name, type, [...where].sort()]))
  // Only User Property repeats anywhere, and Subscription Identifier in PUBLISH (MQTT 5.0 §3.3.2.3.8).
  const repeats = PROPERTIES.filter((p) => 'repeats' in p).map((p) => [p.name, [...(p as { repeats: readonly string[] }).repeats].sort()])
  expect(repeats).toEqual([
    ['subscriptionIdentifier', ['publish']],
    ['userProperties', [...SPEC.find(([, n]) => n === 'userProperties')![3]].sort()],
  ])
})

test('the fixtures cover every v5 packet type in every direction it travels, each with no properties and with each it may carry', () => {
  const seen = (direction: FixtureV5['direction']) => [...new Set(from(direction).map((f) => f.packet.type))].sort()
  expect(seen('server')).toEqual([
    'auth',
    'connack',
    'disconnect',
    'pingresp',
    'puback',
    'pubcomp',
    'publish',
    'pubrec',
    'pubrel',
    'suback',
    'unsuback',
  ])
  expect(seen('client')).toEqual([
    'auth',
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
  // Every (packet, property) pair of the standard's table has a fixture.
  const pairs = new Set<string>()
  for (const f of fixtures) {
    const p = f.packet as { properties?: object; will?: { properties?: object } }
    for (const name of Object.keys(p.properties ?? {})) pairs.add(`${f.packet.type}.${name}`)
    for (const name of Object.keys(p.will?.properties ?? {})) pairs.add(`will.${name}`)
  }
  const expected = SPEC.flatMap(([, name, , where]) => where.map((w) => `${w}.${name}`))
  expect(expected.filter((pair) => !pairs.has(pair))).toEqual([])
})

describeRoundTrips(codec, fixtures)

describe.each(['server', 'client'] as const)('every v5 %s fixture in one stream', (direction) => {
  test.each([1, 2, 3, 7, 64, 1500])('decodes in random chunks of 1..%i bytes', (maxChunk) => {
    decodesAsOneStream(codec, fixtures, direction, maxChunk, maxChunk * 7919 + 5)
  })

  test('decodes from a Node Buffer into plain Uint8Arrays', () => {
    const list = from(direction)
    const { packets } = decodeAll(codec, direction, [Buffer.from(cat(...list.map((f) => f.bytes)))])
    expect(packets.map(fingerprint)).toEqual(list.map((f) => fingerprint(f.packet)))
  })
})
