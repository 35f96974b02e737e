/**
 * MQTT 5.0 properties [MQTT-2.2.2]: one table of every property, its identifier, its wire type
 * and the packets that may carry it (the standard's table in §2.2.2.2), used to encode and to
 * decode, so a property is added by adding its row. Names are the standard's in camelCase, as
 * MQTT.js and mqtt-packet spell them.
 */
import { MqttError } from '@x/errno'
import { u16 } from '../bytes.js'
import { topicNameShapeProblem } from '../topic.js'
import { hex, PROTOCOL_ERROR, TOPIC_ALIAS_INVALID } from './errors.js'
import { ReaderV5 } from './reader.js'
import { binary, MAX_VARINT, string, u32, varint } from './write.js'

/** Where properties appear: a packet type, or `'will'` for the Will Properties of a CONNECT. */
export type PropertyPacket =
  | 'connect'
  | 'will'
  | 'connack'
  | 'publish'
  | 'puback'
  | 'pubrec'
  | 'pubrel'
  | 'pubcomp'
  | 'subscribe'
  | 'suback'
  | 'unsubscribe'
  | 'unsuback'
  | 'disconnect'
  | 'auth'

/**
 * How a value travels [MQTT-1.5]: `flag` is a Byte that must be 0 or 1 (a boolean here), `u16`
 * and `u32` are Two and Four Byte Integers, `varint` a Variable Byte Integer, `pair` a UTF-8
 * String Pair.
 */
export type WireType = 'flag' | 'byte' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair'

/** User Properties in order: a key sent more than once has an array of its values, in order. */
export type UserProperties = Record<string, string | string[]>

const ACKS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const
const EVERY = [
  'connect',
  'will',
  'connack',
  'publish',
  ...ACKS,
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'disconnect',
  'auth',
] as const

// Value rules beyond the wire type: each returns the problem, citing the rule, or undefined.
const nonZero = (what: string, rule: string) => (n: number) => (n === 0 ? `${what} 0 ${rule}` : undefined)
const topicName = (topic: string) => {
  const problem = topicNameShapeProblem(topic)
  return problem && `Response Topic ${JSON.stringify(topic)}: ${problem.replace('[MQTT-3.3.2-2]', '[MQTT-3.3.2-14]')}`
}

/**
 * Every property. `at` is the section of MQTT 5.0 that defines it (cited where the standard
 * numbers no rule); `repeats` lists the packets where it may appear more than once (it is a
 * Protocol Error elsewhere); `check` is a rule on its value; `invalid` the reason code a broken
 * `check` calls for (Protocol Error unless given).
 */
export const PROPERTIES = [
  { id: 0x01, name: 'payloadFormatIndicator', type: 'flag', in: ['publish', 'will'], at: '3.3.2.3.2' },
  { id: 0x02, name: 'messageExpiryInterval', type: 'u32', in: ['publish', 'will'], at: '3.3.2.3.3' },
  { id: 0x03, name: 'contentType', type: 'string', in: ['publish', 'will'], at: '3.3.2.3.9' },
  { id: 0x08, name: 'responseTopic', type: 'string', in: ['publish', 'will'], at: '3.3.2.3.5', check: topicName },
  { id: 0x09, name: 'correlationData', type: 'binary', in: ['publish', 'will'], at: '3.3.2.3.6' },
  {
    id: 0x0b,
    name: 'subscriptionIdentifier',
    type: 'varint',
    in: ['publish', 'subscribe'],
    repeats: ['publish'],
    at: '3.8.2.1.2',
    check: nonZero('Subscription Identifier', '(MQTT 5.0 §3.8.2.1.2)'),
  },
  { id: 0x11, name: 'sessionExpiryInterval', type: 'u32', in: ['connect', 'connack', 'disconnect'], at: '3.1.2.11.2' },
  { id: 0x12, name: 'assignedClientIdentifier', type: 'string', in: ['connack'], at: '3.2.2.3.7' },
  { id: 0x13, name: 'serverKeepAlive', type: 'u16', in: ['connack'], at: '3.2.2.3.14' },
  { id: 0x15, name: 'authenticationMethod', type: 'string', in: ['connect', 'connack', 'auth'], at: '3.1.2.11.9' },
  { id: 0x16, name: 'authenticationData', type: 'binary', in: ['connect', 'connack', 'auth'], at: '3.1.2.11.10' },
  { id: 0x17, name: 'requestProblemInformation', type: 'flag', in: ['connect'], at: '3.1.2.11.7' },
  { id: 0x18, name: 'willDelayInterval', type: 'u32', in: ['will'], at: '3.1.3.2.2' },
  { id: 0x19, name: 'requestResponseInformation', type: 'flag', in: ['connect'], at: '3.1.2.11.6' },
  { id: 0x1a, name: 'responseInformation', type: 'string', in: ['connack'], at: '3.2.2.3.15' },
  { id: 0x1c, name: 'serverReference', type: 'string', in: ['connack', 'disconnect'], at: '3.2.2.3.16' },
  { id: 0x1f, name: 'reasonString', type: 'string', in: ['connack', ...ACKS, 'suback', 'unsuback', 'disconnect', 'auth'], at: '3.2.2.3.9' },
  {
    id: 0x21,
    name: 'receiveMaximum',
    type: 'u16',
    in: ['connect', 'connack'],
    at: '3.2.2.3.3',
    check: nonZero('Receive Maximum', '(MQTT 5.0 §3.1.2.11.3, §3.2.2.3.3)'),
  },
  { id: 0x22, name: 'topicAliasMaximum', type: 'u16', in: ['connect', 'connack'], at: '3.2.2.3.8' },
  {
    id: 0x23,
    name: 'topicAlias',
    type: 'u16',
    in: ['publish'],
    at: '3.3.2.3.4',
    check: nonZero('Topic Alias', '[MQTT-3.3.2-8]'),
    invalid: TOPIC_ALIAS_INVALID,
  },
  {
    id: 0x24,
    name: 'maximumQoS',
    type: 'byte',
    in: ['connack'],
    at: '3.2.2.3.4',
    check: (n: number) => (n > 1 ? `Maximum QoS ${n}, not 0 or 1 (MQTT 5.0 §3.2.2.3.4)` : undefined),
  },
  { id: 0x25, name: 'retainAvailable', type: 'flag', in: ['connack'], at: '3.2.2.3.5' },
  { id: 0x26, name: 'userProperties', type: 'pair', in: EVERY, repeats: EVERY, at: '3.1.2.11.8' },
  {
    id: 0x27,
    name: 'maximumPacketSize',
    type: 'u32',
    in: ['connect', 'connack'],
    at: '3.2.2.3.6',
    check: nonZero('Maximum Packet Size', '(MQTT 5.0 §3.1.2.11.4, §3.2.2.3.6)'),
  },
  { id: 0x28, name: 'wildcardSubscriptionAvailable', type: 'flag', in: ['connack'], at: '3.2.2.3.11' },
  { id: 0x29, name: 'subscriptionIdentifiersAvailable', type: 'flag', in: ['connack'], at: '3.2.2.3.12' },
  { id: 0x2a, name: 'sharedSubscriptionAvailable', type: 'flag', in: ['connack'], at: '3.2.2.3.13' },
] as const

type Row = (typeof PROPERTIES)[number]

type ValueOf<R extends Row> = R['type'] extends 'flag'
  ? boolean
  : R['type'] extends 'string'
    ? string
    : R['type'] extends 'binary'
      ? Uint8Array
      : R['type'] extends 'pair'
        ? UserProperties
        : R extends { repeats: readonly string[] }
          ? number | number[]
          : number

/** Every MQTT 5.0 property, by name. */
export type Properties = { [R in Row as R['name']]?: ValueOf<R> }

/** The properties a packet may carry (`'will'`: the Will Properties), by the table. */
export type PropertiesOf<P extends PropertyPacket> = { [R in Row as P extends R['in'][number] ? R['name'] : never]?: ValueOf<R> }

export type PropertyName = keyof Properties

/** What one row of the table says, as plain values (for code that walks the table). */
interface Property {
  readonly id: number
  readonly name: PropertyName
  readonly type: WireType
  readonly in: readonly PropertyPacket[]
  readonly repeats?: readonly PropertyPacket[]
  readonly at: string
  readonly check?: (value: never) => string | undefined
  readonly invalid?: number
}

// Without a prototype, so that a name such as "toString" or "__proto__" finds no row.
const ROWS: readonly Property[] = PROPERTIES
const BY_ID: Record<number, Property | undefined> = Object.create(null)
const BY_NAME: Record<string, Property | undefined> = Object.create(null)
for (const row of ROWS) BY_ID[row.id] = BY_NAME[row.name] = row

const where = (packet: PropertyPacket): string => (packet === 'will' ? 'the Will Properties' : `a ${packet.toUpperCase()}`)

// The largest value of each integer type.
const MAX: Partial<Record<WireType, number>> = { byte: 255, u16: 65_535, u32: 4_294_967_295, varint: MAX_VARINT }

/** One value, checked as a caller's input: the problem, or undefined. */
function inputProblem(row: Property, value: unknown): string | undefined {
  const max = MAX[row.type]
  if (max !== undefined) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) return `an integer from 0 to ${max} is needed`
  } else if (row.type === 'flag') {
    if (typeof value !== 'boolean') return 'true or false is needed'
  } else if (row.type === 'string') {
    if (typeof value !== 'string') return 'a string is needed'
  } else if (row.type === 'binary') {
    if (!(value instanceof Uint8Array)) return 'a Uint8Array is needed'
  }
  return row.check?.(value as never)
}

function encodeValue(row: Property, value: unknown, parts: Uint8Array[]): void {
  const problem = inputProblem(row, value)
  if (problem) throw new MqttError('EOPTION', `Invalid property ${row.name} ${describeValue(value)}: ${problem}`)
  const name = `property ${row.name}`
  parts.push(Uint8Array.of(row.id))
  switch (row.type) {
    case 'flag':
      parts.push(Uint8Array.of(value ? 1 : 0))
      break
    case 'byte':
      parts.push(Uint8Array.of(value as number))
      break
    case 'u16':
      parts.push(u16(value as number))
      break
    case 'u32':
      parts.push(u32(value as number))
      break
    case 'varint':
      parts.push(varint(value as number))
      break
    case 'string':
      parts.push(...string(value as string, name))
      break
    default:
      parts.push(...binary(value as Uint8Array, name))
  }
}

function describeValue(value: unknown): string {
  if (value instanceof Uint8Array) return `(${value.length} bytes)`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** User Properties: one pair per value, in the object's order, an array as repeated pairs (MQTT 5.0 §3.1.2.11.8). */
function encodePairs(value: unknown, parts: Uint8Array[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MqttError(
      'EOPTION',
      `Invalid property userProperties ${describeValue(value)}: an object of strings or string arrays is needed`,
    )
  }
  for (const [key, values] of Object.entries(value)) {
    for (const v of Array.isArray(values) ? values : [values]) {
      if (typeof v !== 'string') {
        throw new MqttError('EOPTION', `Invalid user property ${JSON.stringify(key)}: its value ${describeValue(v)} is not a string`)
      }
      parts.push(Uint8Array.of(0x26), ...string(key, 'user property name'), ...string(v, 'user property value'))
    }
  }
}

/**
 * The property block of a packet: its length, then exactly the properties given, in the order
 * the object lists them (as mqtt-packet writes them); `undefined` values are skipped. A property
 * the packet may not carry, an unknown name or a bad value is an EOPTION naming it.
 */
export function encodeProperties(props: object | undefined, packet: PropertyPacket): Uint8Array[] {
  const parts: Uint8Array[] = []
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined) continue
      const row = BY_NAME[name]
      if (!row) {
        throw new MqttError('EOPTION', `Unknown MQTT 5.0 property ${JSON.stringify(name)} (MQTT 5.0 §2.2.2.2)`)
      }
      if (!row.in.includes(packet)) {
        throw new MqttError('EOPTION', `The property ${name} may not be sent in ${where(packet)} (MQTT 5.0 §2.2.2.2)`)
      }
      if (row.type === 'pair') encodePairs(value, parts)
      else if (Array.isArray(value)) {
        if (!row.repeats?.includes(packet)) {
          throw new MqttError('EOPTION', `The property ${name} may appear only once in ${where(packet)}: one value is needed, not a list`)
        }
        for (const v of value as unknown[]) encodeValue(row, v, parts)
      } else encodeValue(row, value, parts)
    }
  }
  let length = 0
  for (const part of parts) length += part.length
  if (length > MAX_VARINT) {
    throw new MqttError('ETOOLARGE', `The properties take ${length} bytes; MQTT allows at most 268,435,455 [MQTT-1.5.5]`)
  }
  parts.unshift(varint(length))
  return parts
}

function decodeValue(p: ReaderV5, row: Property): unknown {
  switch (row.type) {
    case 'flag': {
      const byte = p.u8()
      if (byte > 1) throw p.error(`${row.name} is ${byte}, not 0 or 1 (MQTT 5.0 §${row.at})`, PROTOCOL_ERROR)
      return byte === 1
    }
    case 'byte':
      return p.u8()
    case 'u16':
      return p.u16()
    case 'u32':
      return p.u16() * 65_536 + p.u16()
    case 'varint':
      return p.varint()
    case 'string':
      return p.string()
    case 'binary':
      return p.field()
    default:
      // Both strings of a pair are UTF-8 Encoded Strings [MQTT-1.5.7-1].
      return [p.string(), p.string()]
  }
}

/**
 * Reads a property block: its length, then each property. Refused, with the reason code the
 * receiver must send: a length past the packet, an unknown identifier or one the packet may not
 * carry, a value of the wrong form (Malformed Packet, 0x81, MQTT 5.0 §2.2.2.2); a property twice
 * that may appear once, a value the standard forbids (Protocol Error, 0x82; Topic Alias 0: 0x94).
 * User Properties come back as a record in order, a repeated key as an array of its values; a
 * repeated Subscription Identifier as an array.
 */
export function decodeProperties(r: ReaderV5, packet: PropertyPacket): Properties {
  const length = r.varint()
  if (length > r.left) throw r.error(`property length ${length} runs past the end of the packet (${r.left} bytes left) (MQTT 5.0 §2.2.2.1)`)
  if (!length) return {} // the usual case: no reader of its own needed
  const p = new ReaderV5(r.bytes(length), `${r.name}${packet === 'will' ? ' will' : ''} properties`, r.code)
  const out: Record<string, unknown> = {}
  while (p.left) {
    const id = p.varint()
    const row = BY_ID[id]
    if (!row) throw p.error(`unknown property identifier ${hex(id)} (MQTT 5.0 §2.2.2.2)`)
    if (!row.in.includes(packet)) throw p.error(`property ${row.name} (${hex(id)}) may not appear in ${where(packet)} (MQTT 5.0 §2.2.2.2)`)
    const value = decodeValue(p, row)
    const problem = row.check?.(value as never)
    if (problem) throw p.error(problem, row.invalid ?? PROTOCOL_ERROR)
    if (row.type === 'pair') {
      const [key, v] = value as [string, string]
      const pairs = (out[row.name] ??= Object.create(null)) as UserProperties
      const before = pairs[key]
      // Pushed, not copied: a hostile packet of many repeats must cost linear time.
      if (Array.isArray(before)) before.push(v)
      else pairs[key] = before === undefined ? v : [before, v]
    } else if (row.name in out) {
      if (!row.repeats?.includes(packet))
        throw p.error(`${row.name} appears twice; it may appear once (MQTT 5.0 §${row.at})`, PROTOCOL_ERROR)
      const before = out[row.name]
      if (Array.isArray(before)) before.push(value)
      else out[row.name] = [before, value]
    } else out[row.name] = value
  }
  return out as Properties
}
