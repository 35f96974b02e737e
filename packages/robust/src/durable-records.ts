import type { PublishProperties, QoS, SubscribeOptions } from '@x/simple'
import type { Message } from './events.js'

/**
 * How the durable state is laid out in a Store: one key per thing, so that each change is a put
 * or a delete of its own and a scan by prefix reads one kind back in order.
 *
 * - `meta/client`: the client id the store belongs to.
 * - `q/<seq>`: a message not yet settled, queued or in flight (`seq` in publish() order, zero-padded).
 * - `f/<seq>`: that message in flight: its packet id, whether PUBREC came (QoS 2), and the packet as sent.
 * - `in/<pid>`: an inbound QoS 2 packet id received and not yet released by PUBREL.
 * - `s/<filter>`: a subscription the user asked for, with its QoS and options.
 */
export const META_CLIENT = 'meta/client'
export const queuedKey = (seq: number): string => `q/${String(seq).padStart(16, '0')}`
export const flightKey = (seq: number): string => `f/${String(seq).padStart(16, '0')}`
export const inboundKey = (pid: number): string => `in/${String(pid).padStart(5, '0')}`
export const subscriptionKey = (filter: string): string => `s/${filter}`
export const seqOf = (key: string): number => Number(key.slice(2))

const encoder = new TextEncoder()
const decoder = new TextDecoder()

// Binary property values (correlationData) as JSON: { "$bytes": [..] } would be long; base64 is not in every runtime's JSON: hex.
const toJson = (value: unknown): unknown =>
  value instanceof Uint8Array ? { $hex: Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('') } : value
const fromJson = (value: unknown): unknown => {
  const hex = (value as { $hex?: unknown } | null)?.$hex
  return typeof hex === 'string' ? Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)) : value
}

/** A record: a JSON head, then raw bytes. */
function record(head: object, bytes: Uint8Array): Uint8Array {
  const json = encoder.encode(JSON.stringify(head, (_key, value: unknown) => toJson(value)))
  const out = new Uint8Array(4 + json.length + bytes.length)
  new DataView(out.buffer).setUint32(0, json.length)
  out.set(json, 4)
  out.set(bytes, 4 + json.length)
  return out
}

function parse<T>(value: Uint8Array): { head: T; bytes: Uint8Array } {
  const length = new DataView(value.buffer, value.byteOffset, value.byteLength).getUint32(0)
  const head = JSON.parse(decoder.decode(value.subarray(4, 4 + length)), (_key, v: unknown) => fromJson(v)) as T
  return { head, bytes: value.subarray(4 + length) }
}

interface MessageHead {
  topic: string
  qos: QoS
  retain: boolean
  id: string
  properties?: PublishProperties
}

export const encodeMessage = (m: Message & { id: string }): Uint8Array =>
  record({ topic: m.topic, qos: m.qos, retain: m.retain, id: m.id, ...(m.properties && { properties: m.properties }) }, m.payload)

export function decodeMessage(value: Uint8Array): Message & { id: string } {
  const { head, bytes } = parse<MessageHead>(value)
  const message: Message & { id: string } = { topic: head.topic, payload: bytes.slice(), qos: head.qos, retain: head.retain, id: head.id }
  if (head.properties) message.properties = head.properties
  return message
}

export interface Flight {
  pid: number
  /** PUBREC came: PUBREL, not the PUBLISH, is what goes again. */
  released: boolean
  /** The PUBLISH as it was sent (resent with DUP if the broker kept the session). */
  packet: Uint8Array
}

export const encodeFlight = (f: Flight): Uint8Array => record({ pid: f.pid, released: f.released }, f.packet)

export function decodeFlight(value: Uint8Array): Flight {
  const { head, bytes } = parse<{ pid: number; released: boolean }>(value)
  return { pid: head.pid, released: head.released, packet: bytes.slice() }
}

export const encodeSubscription = (qos: QoS, options: SubscribeOptions | undefined): Uint8Array =>
  record({ qos, ...(options && { options }) }, new Uint8Array(0))

export const decodeSubscription = (value: Uint8Array): { qos: QoS; options?: SubscribeOptions } =>
  parse<{ qos: QoS; options?: SubscribeOptions }>(value).head

export const encodeText = (text: string): Uint8Array => encoder.encode(text)
export const decodeText = (value: Uint8Array): string => decoder.decode(value)
