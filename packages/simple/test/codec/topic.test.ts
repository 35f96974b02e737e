/**
 * Topic names, topic filters and matching [MQTT-4.7], plus the size limits of string fields
 * (65,535 UTF-8 bytes [MQTT-1.5.3]) and of whole packets (Remaining Length 268,435,455 [MQTT-2.2.3]).
 * Expected results come from the standard's own examples in 4.7.1 and 4.7.2.
 */
import { describe, expect, test } from 'vitest'
import {
  encode,
  fromClient,
  fromServer,
  isMqttError,
  PacketDecoder,
  topicFilterProblem,
  topicMatches,
  topicNameProblem,
  type Packet,
} from '@x/simple'
import { fingerprint } from './comparable.js'

// 65,535 UTF-8 bytes in fewer UTF-16 units: the limit counts bytes, not characters.
const MAX_ASCII = 'a'.repeat(65_535)
const MAX_MIXED = 'é'.repeat(32_767) + 'a' // 2 × 32,767 + 1
const OVER_ASCII = 'a'.repeat(65_536)
const OVER_MIXED = 'é'.repeat(32_768) // 65,536 bytes but only 32,768 characters

describe('topicNameProblem', () => {
  test.each([
    ['a'],
    ['a/b'],
    ['/'],
    ['/a'],
    ['a/'],
    ['a//b'],
    [' '],
    ['$SYS/broker/load'],
    ['$share/g/t'],
    ['température/€/😀'],
    ['\uFEFF'],
    ['sport/tennis/player1'],
  ])('%j is a valid topic name', (topic) => {
    expect(topicNameProblem(topic)).toBeUndefined()
  })

  test('a topic name of exactly 65,535 UTF-8 bytes is valid [MQTT-4.7.3-3]', () => {
    expect(topicNameProblem(MAX_ASCII)).toBeUndefined()
    expect(topicNameProblem(MAX_MIXED)).toBeUndefined()
  })

  test.each([
    ['', 'MQTT-4.7.3-1'],
    ['+', 'MQTT-3.3.2-2'],
    ['#', 'MQTT-3.3.2-2'],
    ['a/+', 'MQTT-3.3.2-2'],
    ['a/#', 'MQTT-3.3.2-2'],
    ['a+b', 'MQTT-3.3.2-2'],
    ['sport/tennis#', 'MQTT-3.3.2-2'],
    ['a\u0000b', 'MQTT-4.7.3-2'],
    ['\uD800', 'MQTT-1.5.3-1'],
    ['a\uDC00', 'MQTT-1.5.3-1'],
    ['\uDC00\uD800', 'MQTT-1.5.3-1'],
  ])('%j is not a topic name [%s]', (topic, rule) => {
    expect(topicNameProblem(topic)).toContain(`[${rule}]`)
  })

  test('a topic name over 65,535 UTF-8 bytes is not a topic name [MQTT-4.7.3-3]', () => {
    expect(topicNameProblem(OVER_ASCII)).toContain('MQTT-4.7.3-3')
    expect(topicNameProblem(OVER_MIXED)).toContain('MQTT-4.7.3-3')
  })
})

describe('topicFilterProblem', () => {
  test.each([
    ['#'],
    ['+'],
    ['+/+'],
    ['/+'],
    ['+/'],
    ['sport/#'],
    ['sport/tennis/+'],
    ['sport/+/player1'],
    ['+/tennis/#'],
    ['a//b'],
    ['/'],
    ['$SYS/#'],
    ['$SYS/monitor/+'],
    ['$share/g/#'],
    ['$share/group-1/a/+/b'],
    ['température/+/€'],
  ])('%j is a valid filter', (filter) => {
    expect(topicFilterProblem(filter)).toBeUndefined()
  })

  test('a filter of exactly 65,535 UTF-8 bytes is valid [MQTT-4.7.3-3]', () => {
    expect(topicFilterProblem(MAX_ASCII)).toBeUndefined()
    expect(topicFilterProblem(MAX_MIXED)).toBeUndefined()
  })

  test.each([
    ['', 'MQTT-4.7.3-1'],
    ['sport/tennis#', 'MQTT-4.7.1-2'],
    ['sport/tennis/#/ranking', 'MQTT-4.7.1-2'],
    ['#/', 'MQTT-4.7.1-2'],
    ['##', 'MQTT-4.7.1-2'],
    ['sport+', 'MQTT-4.7.1-3'],
    ['+a', 'MQTT-4.7.1-3'],
    ['a/+b/c', 'MQTT-4.7.1-3'],
    ['$share/g/a/#/b', 'MQTT-4.7.1-2'],
    ['a\u0000', 'MQTT-4.7.3-2'],
    ['a/\uD800', 'MQTT-1.5.3-1'],
    ['\uDFFF/#', 'MQTT-1.5.3-1'],
  ])('%j is not a filter [%s]', (filter, rule) => {
    expect(topicFilterProblem(filter)).toContain(`[${rule}]`)
  })

  // A shared subscription is $share/{ShareName}/{filter}: a non-empty share name free of
  // wildcards, then a non-empty filter (MQTT 5.0, 4.8.2; MQTT 3.1.1 has no rule number for it).
  test.each([['$share/g'], ['$share//a'], ['$share/+/a'], ['$share/g#/a'], ['$share/g/']])('%j is not a shared subscription', (filter) => {
    expect(topicFilterProblem(filter)).toEqual(expect.any(String))
  })

  test('a filter over 65,535 UTF-8 bytes is not a filter [MQTT-4.7.3-3]', () => {
    expect(topicFilterProblem(OVER_ASCII)).toContain('MQTT-4.7.3-3')
    expect(topicFilterProblem(OVER_MIXED)).toContain('MQTT-4.7.3-3')
  })
})

describe('topicMatches', () => {
  test.each([
    // "#": any number of levels, the parent level included (4.7.1.2).
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['sport/#', 'sports', false],
    ['sport/#', 'other/sport', false],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['+/#', 'a', true],
    // "+": exactly one level, which may be empty (4.7.1.3).
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['sport/+/player1', 'sport//player1', true],
    ['a/+/#', 'a', false],
    ['a/+/#', 'a/b', true],
    // Plain levels: exact and case-sensitive; empty levels are levels.
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/', false],
    ['a/b/', 'a/b', false],
    ['a/b', 'A/b', false],
    ['a//b', 'a//b', true],
    ['a//b', 'a/b', false],
    ['température/+', 'température/€', true],
    // "$" topics are not matched by a filter starting with a wildcard [MQTT-4.7.2-1].
    ['#', '$SYS/broker/load', false],
    ['#', '$', false],
    ['+', '$x', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/#', '$SYS', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['a/#', 'a/$x', true],
    ['+/$x', 'a/$x', true],
    // "$share/{group}/" is not part of the filter that is matched.
    ['$share/g/a/+', 'a/b', true],
    ['$share/g/#', 'x/y', true],
    ['$share/g/#', '$SYS/x', false],
    ['$share/g/a', 'g/a', false],
  ])('%j matches %j: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected)
  })
})

/** The MqttError `fn` throws, or a failure when it throws nothing or something else. */
function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (error) {
    if (isMqttError(error)) return error
    throw new Error(`expected an MqttError, got ${String(error)}`)
  }
  throw new Error('expected an MqttError, nothing was thrown')
}

const connect = (extra: object): Packet => ({ type: 'connect', clientId: 'c', cleanSession: true, keepaliveSec: 0, ...extra })
const will = (topic: string, payload = new Uint8Array(0)) => ({ will: { topic, payload, qos: 0, retain: false } })
const publish = (topic: string, payload = new Uint8Array(0)): Packet => ({
  type: 'publish',
  topic,
  payload,
  qos: 0,
  retain: false,
  dup: false,
})

describe('string fields are at most 65,535 UTF-8 bytes [MQTT-1.5.3]', () => {
  // Each builder puts a string of the given size into one field of a packet.
  const stringFields: Array<[string, (s: string) => Packet]> = [
    ['PUBLISH topic', (s) => publish(s)],
    ['CONNECT client id', (s) => connect({ clientId: s })],
    ['CONNECT will topic', (s) => connect(will(s))],
    ['CONNECT user name', (s) => connect({ username: s })],
    ['SUBSCRIBE filter', (s) => ({ type: 'subscribe', pid: 1, subscriptions: [{ filter: s, qos: 0 }] })],
    ['UNSUBSCRIBE filter', (s) => ({ type: 'unsubscribe', pid: 1, filters: ['a', s] })],
  ]

  test.each(stringFields)('%s of 65,536 UTF-8 bytes: ESTRTOLONG from the encoder', (_, build) => {
    for (const text of [OVER_ASCII, OVER_MIXED]) {
      const error = thrown(() => encode(build(text)))
      expect(error.code).toBe('ESTRTOLONG')
      expect(error.message).toContain('MQTT-1.5.3')
    }
  })

  test.each(stringFields)('%s of exactly 65,535 UTF-8 bytes encodes and decodes back', (_, build) => {
    for (const text of [MAX_ASCII, MAX_MIXED]) {
      const packet = build(text)
      const direction = packet.type === 'publish' ? fromServer : fromClient
      expect([...new PacketDecoder<Packet>(direction).push(encode(packet))].map(fingerprint)).toEqual([fingerprint(packet)])
    }
  })

  test.each([
    ['CONNECT will payload', connect(will('w', new Uint8Array(65_536)))],
    ['CONNECT password', connect({ username: 'u', password: new Uint8Array(65_536) })],
  ])('%s of 65,536 bytes: ESTRTOLONG from the encoder', (_, packet) => {
    expect(thrown(() => encode(packet)).code).toBe('ESTRTOLONG')
  })
})

describe('a packet carries at most 268,435,455 bytes after its header [MQTT-2.2.3]', () => {
  // A zero-filled Uint8Array costs no memory until written (the pages are mapped lazily).
  // Builders, so that the big payloads exist only while their test runs.
  test.each([
    ['a 268,435,456-byte payload', () => publish('a', new Uint8Array(268_435_456))],
    ['a QoS 0 PUBLISH whose Remaining Length would be 268,435,456', () => publish('a', new Uint8Array(268_435_453))],
    [
      'a QoS 1 PUBLISH whose Remaining Length would be 268,435,456',
      (): Packet => ({ type: 'publish', topic: 'a', payload: new Uint8Array(268_435_451), qos: 1, retain: false, dup: false, pid: 1 }),
    ],
  ])('%s: ETOOLARGE before the output is allocated', (_, build) => {
    const packet = build()
    const before = process.memoryUsage().arrayBuffers
    const error = thrown(() => encode(packet))
    const grown = process.memoryUsage().arrayBuffers - before
    expect(error.code).toBe('ETOOLARGE')
    expect(error.message).toMatch(/268,?435,?455/)
    expect(error.message).toContain('MQTT-2.2.3')
    // An output buffer would have added about 256 MB of ArrayBuffer memory.
    expect(grown).toBeLessThan(64 * 2 ** 20)
  })
})
