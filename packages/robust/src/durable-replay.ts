import type { QoS, SubscribeOptions } from '@x/simple'
import { R, RecordReader, readMessage, readSubscription, type Flight } from './durable-records.js'
import type { Message } from './events.js'

/**
 * What a store gave back at connect(): the messages owed (in publish() order, those in flight with
 * their flight), the inbound ids held, the subscriptions, and the filters unsubscribed that the
 * broker's session may still hold (their UNSUBACK had not come).
 */
export interface Restored {
  messages: Array<{ seq: number; message: Message & { id: string }; flight: Flight | undefined; queuedAt: number }>
  inbound: number[]
  subscriptions: Array<{ filter: string; qos: QoS; options?: SubscribeOptions }>
  unsubscribing: string[]
}

/** One record of the log, read (durable-records.ts). */
export type LogRecord =
  | { type: typeof R.RESET }
  | { type: typeof R.MESSAGE; seq: number; message: Message & { id: string }; queuedAt: number }
  | { type: typeof R.FLIGHT; seq: number; pid: number }
  | { type: typeof R.RELEASED | typeof R.UNSENT | typeof R.SETTLED; seq: number }
  | { type: typeof R.INBOUND | typeof R.INBOUND_DONE; pid: number }
  | { type: typeof R.SUBSCRIBED; filter: string; qos: QoS; options?: SubscribeOptions }
  | { type: typeof R.UNSUBSCRIBED | typeof R.DROPPED; filter: string }

/** The records of one value of the log. Throws on bytes that are not a run of whole records of known types. */
export function readRecords(value: Uint8Array): LogRecord[] {
  const r = new RecordReader(value)
  const out: LogRecord[] = []
  while (!r.done) {
    const type = r.u8()
    switch (type) {
      case R.RESET:
        out.push({ type })
        break
      case R.MESSAGE:
        out.push({ type, ...readMessage(r) })
        break
      case R.FLIGHT:
        out.push({ type, seq: r.f64(), pid: r.u16() })
        break
      case R.FLIGHT_WITH_PACKET: {
        // A store of the first layout: its packet is not needed (durable-resend.ts encodes it).
        const flight = { type: R.FLIGHT, seq: r.f64(), pid: r.u16() } as const
        r.bytes()
        out.push(flight)
        break
      }
      case R.RELEASED:
      case R.UNSENT:
      case R.SETTLED:
        out.push({ type, seq: r.f64() })
        break
      case R.INBOUND:
      case R.INBOUND_DONE:
        out.push({ type, pid: r.u16() })
        break
      case R.SUBSCRIBED:
        out.push({ type, ...readSubscription(r) })
        break
      case R.UNSUBSCRIBED:
      case R.DROPPED:
        out.push({ type, filter: r.str() })
        break
      default:
        throw new RangeError(`unknown record type ${type}`)
    }
  }
  return out
}

/**
 * The state a log leaves (durable-records.ts): its values replayed in order. Throws on a value
 * that is not a run of whole records of known types, or that speaks of a message it never took
 * (the store is corrupt, or not ours).
 */
export function replay(values: readonly Uint8Array[]): Restored {
  const messages = new Map<number, Restored['messages'][number]>()
  const inbound = new Set<number>()
  const subscriptions = new Map<string, { filter: string; qos: QoS; options?: SubscribeOptions }>()
  const unsubscribing = new Set<string>()
  const known = (seq: number, type: number) => {
    const entry = messages.get(seq)
    if (!entry) throw new RangeError(`record type ${type} names message ${seq}, which the log never took`)
    return entry
  }
  for (const value of values) {
    for (const record of readRecords(value)) {
      switch (record.type) {
        case R.RESET:
          messages.clear()
          inbound.clear()
          subscriptions.clear()
          unsubscribing.clear()
          break
        case R.MESSAGE:
          messages.set(record.seq, { seq: record.seq, message: record.message, flight: undefined, queuedAt: record.queuedAt })
          break
        case R.FLIGHT:
          known(record.seq, record.type).flight = { pid: record.pid, released: false }
          break
        case R.RELEASED: {
          const { flight } = known(record.seq, record.type)
          if (flight) flight.released = true
          break
        }
        case R.UNSENT:
          known(record.seq, record.type).flight = undefined
          break
        case R.SETTLED:
          messages.delete(record.seq)
          break
        case R.INBOUND:
          inbound.add(record.pid)
          break
        case R.INBOUND_DONE:
          inbound.delete(record.pid)
          break
        case R.SUBSCRIBED: {
          const { type: _, ...subscription } = record
          subscriptions.set(record.filter, subscription)
          unsubscribing.delete(record.filter)
          break
        }
        case R.UNSUBSCRIBED:
          subscriptions.delete(record.filter)
          unsubscribing.add(record.filter)
          break
        case R.DROPPED:
          unsubscribing.delete(record.filter)
          break
      }
    }
  }
  return {
    messages: [...messages.values()].sort((a, b) => a.seq - b.seq),
    inbound: [...inbound],
    subscriptions: [...subscriptions.values()],
    unsubscribing: [...unsubscribing],
  }
}
