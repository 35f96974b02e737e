/**
 * A second opinion: mqtt-packet (MQTT.js's codec) reads what encodeV5() writes, and our decoders
 * read what mqtt-packet generates, for every v5 fixture, compared field by field with the
 * fixture's packet.
 */
import mqttPacket from 'mqtt-packet'
import { describe, expect, test } from 'vitest'
import { encodeV5, fromClientV5, fromServerV5, PacketDecoderV5, type PacketV5 } from '@x/simple/codec'
import { comparable } from '../comparable.js'
import { handWritten, propertyFixtures, type FixtureV5 } from './fixtures-v5.js'
import { allowedIn } from './spec-table.js'

type Loose = Record<string, unknown>

/** Byte arrays as plain Uint8Arrays (mqtt-packet's are Buffers), recursively. */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value)
  if (Array.isArray(value)) return value.map(plain)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

const buffers = (value: unknown): unknown => {
  if (value instanceof Uint8Array) return Buffer.from(value)
  if (Array.isArray(value)) return value.map(buffers)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, buffers(v)]))
  return value
}

/** Our packet as mqtt-packet's object. */
function toMqttPacket(p: PacketV5): Loose {
  const o = p as unknown as Loose
  const properties = buffers(o['properties'])
  switch (p.type) {
    case 'connect':
      return {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: p.cleanStart,
        clientId: p.clientId,
        keepalive: p.keepaliveSec,
        ...(p.username === undefined ? {} : { username: p.username }),
        ...(p.password === undefined ? {} : { password: Buffer.from(p.password) }),
        ...(p.will ? { will: { ...p.will, payload: Buffer.from(p.will.payload), properties: buffers(p.will.properties) } } : {}),
        properties,
      }
    case 'publish':
      return {
        cmd: 'publish',
        topic: p.topic,
        payload: Buffer.from(p.payload),
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        messageId: p.pid,
        properties,
      }
    case 'subscribe':
      return {
        cmd: 'subscribe',
        messageId: p.pid,
        subscriptions: p.subscriptions.map((s) => ({
          topic: s.filter,
          qos: s.qos,
          nl: s.noLocal,
          rap: s.retainAsPublished,
          rh: s.retainHandling,
        })),
        properties,
      }
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: p.pid, unsubscriptions: p.filters, properties }
    case 'suback':
    case 'unsuback':
      return { cmd: p.type, messageId: p.pid, granted: p.reasonCodes, properties }
    case 'pingreq':
    case 'pingresp':
      return { cmd: p.type }
    case 'connack':
      return { cmd: 'connack', sessionPresent: p.sessionPresent, reasonCode: p.reasonCode, properties }
    case 'disconnect':
    case 'auth':
      return { cmd: p.type, reasonCode: p.reasonCode, properties }
    default:
      return { cmd: p.type, messageId: p.pid, reasonCode: p.reasonCode, properties }
  }
}

/** mqtt-packet's parsed object as ours, field by field. */
function fromMqttPacket(m: Loose, type: PacketV5['type']): unknown {
  const properties = plain(m['properties'] ?? {})
  switch (type) {
    case 'connect': {
      const will = m['will'] as Loose | undefined
      return {
        type,
        clientId: m['clientId'],
        cleanStart: m['clean'],
        keepaliveSec: m['keepalive'],
        properties,
        ...(will
          ? {
              will: {
                topic: will['topic'],
                payload: plain(will['payload']),
                qos: will['qos'],
                retain: will['retain'],
                properties: plain(will['properties'] ?? {}),
              },
            }
          : {}),
        ...(m['username'] === undefined ? {} : { username: m['username'] }),
        ...(m['password'] === undefined ? {} : { password: plain(m['password']) }),
      }
    }
    case 'publish':
      return {
        type,
        topic: m['topic'],
        payload: plain(m['payload']),
        qos: m['qos'],
        retain: m['retain'],
        dup: m['dup'],
        ...(m['qos'] ? { pid: m['messageId'] } : {}),
        properties,
      }
    case 'subscribe':
      return {
        type,
        pid: m['messageId'],
        subscriptions: (m['subscriptions'] as Loose[]).map((s) => ({
          filter: s['topic'],
          qos: s['qos'],
          noLocal: s['nl'],
          retainAsPublished: s['rap'],
          retainHandling: s['rh'],
        })),
        properties,
      }
    case 'unsubscribe':
      return { type, pid: m['messageId'], filters: m['unsubscriptions'], properties }
    case 'suback':
    case 'unsuback':
      return { type, pid: m['messageId'], reasonCodes: m['granted'], properties }
    case 'pingreq':
    case 'pingresp':
      return { type }
    case 'connack':
      return { type, sessionPresent: m['sessionPresent'], reasonCode: m['reasonCode'], properties }
    case 'disconnect':
    case 'auth':
      return { type, reasonCode: m['reasonCode'] ?? 0, properties }
    default:
      return { type, pid: m['messageId'], reasonCode: m['reasonCode'] ?? 0, properties }
  }
}

/** What mqtt-packet parses from `bytes`: its packets, or its error. */
function parseWithMqttPacket(bytes: Uint8Array): Loose[] {
  const parser = mqttPacket.parser({ protocolVersion: 5 })
  const packets: Loose[] = []
  const errors: Error[] = []
  parser.on('packet', (p) => packets.push(p as unknown as Loose))
  parser.on('error', (e: Error) => errors.push(e))
  parser.parse(Buffer.from(bytes))
  if (errors.length) throw errors[0]
  return packets
}

function decodeOurs(f: FixtureV5, bytes: Uint8Array): PacketV5[] {
  return [...new PacketDecoderV5<PacketV5>(f.direction === 'server' ? fromServerV5 : fromClientV5).push(bytes)]
}

/**
 * Where mqtt-packet 9.0.2 itself departs from the standard, so the comparison cannot hold; each
 * is a fixture name fragment and the reason.
 */
const MQTT_PACKET_GAPS: Array<[fragment: RegExp, direction: 'parse' | 'generate', reason: string]> = [
  [
    /^CONNECT with a password and no user name/,
    'generate',
    'it refuses a password without a user name, a 3.1.1 rule MQTT 5.0 dropped (§3.1.2.9)',
  ],
  [
    /^AUTH reason code 0, no properties: 0-byte body/,
    'parse',
    'it reads a reason code that the 0-byte AUTH leaves out (MQTT 5.0 §3.15.2.1)',
  ],
]

const fixtures = [...handWritten, ...propertyFixtures(allowedIn)]

describe.each(fixtures)('$name', (f) => {
  const gap = (direction: 'parse' | 'generate') => MQTT_PACKET_GAPS.some(([fragment, d]) => d === direction && fragment.test(f.name))
  test.skipIf(gap('parse'))('mqtt-packet parses what encodeV5() writes to the same fields', () => {
    const parsed = parseWithMqttPacket(encodeV5(f.packet))
    expect(parsed).toHaveLength(1)
    expect(comparable(fromMqttPacket(parsed[0] as Loose, f.packet.type))).toStrictEqual(comparable(f.packet))
  })

  test.skipIf(gap('generate'))('our decoder reads what mqtt-packet generates to the same fields', () => {
    const bytes = mqttPacket.generate(toMqttPacket(f.packet) as never, { protocolVersion: 5 })
    expect(comparable(decodeOurs(f, bytes))).toStrictEqual(comparable([f.packet]))
  })
})
