/**
 * Every fixture both ways: encode() must give the standard's bytes, and the decoder of the
 * receiving side must give back exactly the packet however the bytes are cut into chunks
 * (whole, one byte at a time, in two at every offset, and all fixtures in one stream).
 */
import { describe, expect, test } from 'vitest'
import { encode, fromClient, fromServer, PacketDecoder, type Packet } from '@x/simple'
import { fingerprint } from './comparable.js'
import { fixtures, fixturesFrom, type Fixture } from './fixtures.js'
import { cat } from './hex.js'
import { decodeAll, decodesAsOneStream, describeRoundTrips, type Codec } from './round-trips.js'

const codec: Codec<Packet> = {
  encodeName: 'encode',
  encode,
  decoderFor: (direction) => new PacketDecoder<Packet>(direction === 'server' ? fromServer : fromClient),
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

describeRoundTrips(codec, fixtures)

describe.each(['server', 'client'] as const)('every %s fixture in one stream', (direction) => {
  test.each([1, 2, 3, 7, 64, 1500, 65_536])('decodes in random chunks of 1..%i bytes', (maxChunk) => {
    // Seeded: a failure names its chunk size, and the same cut comes back on the next run.
    decodesAsOneStream(codec, fixtures, direction, maxChunk, maxChunk * 7919)
  })

  test('decodes from Node Buffers (what sockets deliver) into plain Uint8Arrays', () => {
    const list = fixturesFrom(direction).filter((f) => !f.large)
    const { packets } = decodeAll(codec, direction, [Buffer.from(cat(...list.map((f) => f.bytes)))])
    // comparable() names the class, so a Buffer payload would not compare equal to a Uint8Array.
    expect(packets.map(fingerprint)).toEqual(list.map((f) => fingerprint(f.packet)))
  })
})
