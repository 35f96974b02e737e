import type { PublishProperties, QoS, SubscribeOptions } from '@x/simple'
import type { Message } from './events.js'
import { fromHex, hex } from './hex.js'

/**
 * How the durable state is laid out in a Store: a log. The changes of one journal batch (those of
 * a few ms, durable-journal.ts) are one value, under `l/<n>` (`n` counting up), so a burst costs
 * the database one put, not one put and one delete per message and transition: a batch of 100
 * puts costs LevelDB about ten times the CPU of one put of the same bytes (measured, 12-06). Now
 * and then the journal writes the whole live state as one value (it starts with `RESET`) and
 * deletes the values before it in the same batch, so the store stays about the size of what is
 * owed. `meta/client` holds the client id the store belongs to.
 *
 * A value is a run of records: a type byte, then its fields. Numbers are big-endian; a message's
 * number (`seq`, in publish() order) is a float64, a packet id a uint16; strings and bytes carry a
 * uint32 length.
 */
export const META_CLIENT = 'meta/client'
export const LOG_PREFIX = 'l/'
export const segmentKey = (n: number): string => `l/${String(n).padStart(16, '0')}`
export const segmentOf = (key: string): number => Number(key.slice(2))

/** The record types (the first byte of each). */
export const R = {
  /** What follows is the whole state: forget what came before. */
  RESET: 1,
  /**
   * A message taken by publish(): seq, flags (qos, retain, properties, time), id, topic, properties
   * (JSON), the time publish() took it (float64 ms since the epoch; MQTT 5, a message with a
   * messageExpiryInterval only), payload.
   */
  MESSAGE: 2,
  /** That message went out, as the first layout wrote it: seq, packet id, the PUBLISH as sent (read, never written: the packet is encoded anew). */
  FLIGHT_WITH_PACKET: 3,
  /** PUBREC came for it: PUBREL, not the PUBLISH, goes again. seq. */
  RELEASED: 4,
  /** In flight no more, not settled: back to the queue. seq. */
  UNSENT: 5,
  /** Settled: gone. seq. */
  SETTLED: 6,
  /** An inbound QoS 2 packet id received (PUBREC sent). pid. */
  INBOUND: 7,
  /** That id released (PUBCOMP sent), or forgotten with the broker's session. pid. */
  INBOUND_DONE: 8,
  /** A subscription: filter, then QoS and options (JSON). */
  SUBSCRIBED: 9,
  /** The user unsubscribed: no longer wanted, and the broker's session may hold it until UNSUBACK. filter. */
  UNSUBSCRIBED: 10,
  /** The broker's session holds that filter no more (UNSUBACK, or no session). filter. */
  DROPPED: 11,
  /** That message went out: seq, packet id. */
  FLIGHT: 12,
} as const

export interface Flight {
  pid: number
  /** PUBREC came: PUBREL, not the PUBLISH, is what goes again. */
  released: boolean
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

// Binary property values (correlationData, authentication data) survive JSON as hex.
const toJson = (_key: string, value: unknown): unknown => (value instanceof Uint8Array ? { $hex: hex(value) } : value)
const fromJson = (_key: string, value: unknown): unknown => {
  const digits = (value as { $hex?: unknown } | null)?.$hex
  return typeof digits === 'string' ? fromHex(digits) : value
}

/** Appends records to one growing buffer; `take()` hands out what was written and starts again. */
export class RecordWriter {
  #bytes = new Uint8Array(4096)
  #view = new DataView(this.#bytes.buffer)
  #at = 0

  get length(): number {
    return this.#at
  }

  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#at + n))
    grown.set(this.#bytes.subarray(0, this.#at))
    this.#bytes = grown
    this.#view = new DataView(grown.buffer)
  }

  u8(n: number): this {
    this.#room(1)
    this.#bytes[this.#at++] = n
    return this
  }

  u16(n: number): this {
    this.#room(2)
    this.#view.setUint16(this.#at, n)
    this.#at += 2
    return this
  }

  f64(n: number): this {
    this.#room(8)
    this.#view.setFloat64(this.#at, n)
    this.#at += 8
    return this
  }

  bytes(b: Uint8Array): this {
    this.#room(4 + b.length)
    this.#view.setUint32(this.#at, b.length)
    this.#bytes.set(b, this.#at + 4)
    this.#at += 4 + b.length
    return this
  }

  str(s: string): this {
    // At most 3 bytes per UTF-16 code unit.
    this.#room(4 + s.length * 3)
    const { written } = encoder.encodeInto(s, this.#bytes.subarray(this.#at + 4))
    this.#view.setUint32(this.#at, written)
    this.#at += 4 + written
    return this
  }

  /** A copy of what was written (the store may keep it), and an empty writer. */
  take(): Uint8Array {
    const out = this.#bytes.slice(0, this.#at)
    this.#at = 0
    // A snapshot of a long queue grew the buffer: not kept for the small values that follow.
    if (this.#bytes.length > 1 << 20) {
      this.#bytes = new Uint8Array(4096)
      this.#view = new DataView(this.#bytes.buffer)
    }
    return out
  }
}

/** Reads records back; any read past the end throws (a truncated or foreign value is corrupt). */
export class RecordReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #at = 0

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get done(): boolean {
    return this.#at >= this.#bytes.length
  }

  #take(n: number): number {
    const at = this.#at
    if (at + n > this.#bytes.length) throw new RangeError(`a record ends ${at + n - this.#bytes.length} bytes past the value`)
    this.#at += n
    return at
  }

  u8(): number {
    return this.#bytes[this.#take(1)] as number
  }

  u16(): number {
    return this.#view.getUint16(this.#take(2))
  }

  f64(): number {
    return this.#view.getFloat64(this.#take(8))
  }

  bytes(): Uint8Array {
    const n = this.#view.getUint32(this.#take(4))
    const at = this.#take(n)
    return this.#bytes.slice(at, at + n)
  }

  str(): string {
    const n = this.#view.getUint32(this.#take(4))
    const at = this.#take(n)
    return decoder.decode(this.#bytes.subarray(at, at + n))
  }
}

/**
 * `queuedAt`: when publish() took it (ms since the epoch), for a message whose expiry interval
 * counts from then (0: none), so a restart does not give it its whole interval again.
 */
export function writeMessage(w: RecordWriter, seq: number, m: Message & { id: string }, queuedAt = 0): void {
  const flags = m.qos | (m.retain ? 4 : 0) | (m.properties ? 8 : 0) | (queuedAt ? 16 : 0)
  w.u8(R.MESSAGE).f64(seq).u8(flags).str(m.id).str(m.topic)
  if (m.properties) w.str(JSON.stringify(m.properties, toJson))
  if (queuedAt) w.f64(queuedAt)
  w.bytes(m.payload)
}

export function readMessage(r: RecordReader): { seq: number; message: Message & { id: string }; queuedAt: number } {
  const seq = r.f64()
  const flags = r.u8()
  const id = r.str()
  const topic = r.str()
  const properties = flags & 8 ? (JSON.parse(r.str(), fromJson) as PublishProperties) : undefined
  const queuedAt = flags & 16 ? r.f64() : 0
  const message: Message & { id: string } = { topic, payload: r.bytes(), qos: (flags & 3) as QoS, retain: (flags & 4) !== 0, id }
  if (properties) message.properties = properties
  return { seq, message, queuedAt }
}

export const writeFlight = (w: RecordWriter, seq: number, f: Flight): void => void w.u8(R.FLIGHT).f64(seq).u16(f.pid)

export function writeSubscription(w: RecordWriter, filter: string, qos: QoS, options: SubscribeOptions | undefined): void {
  w.u8(R.SUBSCRIBED)
    .str(filter)
    .str(JSON.stringify({ qos, ...(options && { options }) }, toJson))
}

export function readSubscription(r: RecordReader): { filter: string; qos: QoS; options?: SubscribeOptions } {
  const filter = r.str()
  return { filter, ...(JSON.parse(r.str(), fromJson) as { qos: QoS; options?: SubscribeOptions }) }
}

export const encodeText = (text: string): Uint8Array => encoder.encode(text)
export const decodeText = (value: Uint8Array): string => decoder.decode(value)
