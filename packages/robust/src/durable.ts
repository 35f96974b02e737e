import { MqttError, isMqttError, type QoS, type Session, type SubscribeOptions } from '@x/simple'
import type { Written } from './durable-gate.js'
import { Journal } from './durable-journal.js'
import {
  META_CLIENT,
  decodeFlight,
  decodeMessage,
  decodeSubscription,
  decodeText,
  encodeFlight,
  encodeMessage,
  encodeSubscription,
  encodeText,
  flightKey,
  inboundKey,
  queuedKey,
  seqOf,
  subscriptionKey,
  type Flight,
} from './durable-records.js'
import type { Message } from './events.js'
import type { PublishOp } from './outbox.js'
import type { Store } from './store.js'

/** The packet id of an encoded PUBLISH at QoS 1 or 2: after the fixed header and the topic name. */
function publishPid(bytes: Uint8Array): number {
  let at = 1
  while ((bytes[at++] as number) & 128);
  at += 2 + (((bytes[at] as number) << 8) | (bytes[at + 1] as number))
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
}

/** What a store gave back at connect(): the messages owed (in publish() order, those in flight with their flight), the inbound ids held, the subscriptions. */
export interface Restored {
  messages: Array<{ seq: number; message: Message & { id: string }; flight: Flight | undefined }>
  inbound: number[]
  subscriptions: Array<{ filter: string; qos: QoS; options?: SubscribeOptions }>
}

const PUBLISH = 3
const PUBREC = 5
const PUBREL = 6
const PUBCOMP = 7

/**
 * Durable sessions (contract §7): the outbox's transitions written ahead to a Store, and read
 * back after a restart. Every message is recorded when publish() takes it, its packet id and
 * packet when it is sent, "released" when PUBREL goes, and removed when it settles (but not when
 * close() ends it: it is still owed). Inbound QoS 2 packet ids are recorded when PUBREC goes and
 * removed when PUBCOMP goes. The journal's gate (durable-gate.ts) holds every packet until what
 * was recorded before it is durable, so the broker never learns of a message, a release or a
 * received id that a crash could make the client forget.
 */
export class Durability {
  readonly journal: Journal
  readonly #store: Store
  readonly #clientId: string
  readonly #name: string
  /** Durable number of each message (its key), in publish() order; assigned once the store is read. */
  readonly #seqOf = new WeakMap<PublishOp, number>()
  /** Messages taken before the store was read: recorded once it is (after what it held). */
  #early: PublishOp[] | undefined = []
  #nextSeq = 1
  /** Inbound QoS 2 packet ids recorded (PUBREC sent, PUBCOMP not yet), with the number of the change that recorded each. */
  readonly #inbound = new Map<number, number>()
  /** The number of the change that recorded each message: its PUBLISH waits for it. */
  readonly #markOf = new WeakMap<PublishOp, number>()
  /** The message the sender is handing to the client now: its PUBLISH is the next QoS 2 one the gate sees. */
  sending: PublishOp | undefined
  /** The simple client's session (its packets as sent). */
  session: () => Session | undefined = () => undefined
  /** Messages in flight by packet id, for what the gate sees go out. */
  readonly #byPid = new Map<number, { op: PublishOp; flight: Flight; mark: number }>()

  constructor(store: Store, clientId: string, name: string) {
    this.#store = store
    this.#clientId = clientId
    this.#name = name
    this.journal = new Journal(store, name)
  }

  /**
   * Opens the store and reads back what it holds. Rejects with ESTORE when it cannot be opened or
   * belongs to another client id. Then records the messages taken meanwhile, after those.
   */
  async restore(): Promise<Restored> {
    const fail = (what: string, cause?: unknown): MqttError =>
      new MqttError('ESTORE', `The store ${this.#name} ${what}`, { operation: 'connect', ...(cause === undefined ? {} : { cause }) })
    try {
      await this.#store.open()
    } catch (error) {
      throw isMqttError(error) && error.code === 'ESTORE'
        ? error
        : fail(`cannot be opened: ${error instanceof Error ? error.message : String(error)}`, error)
    }
    let entries: Array<Array<[string, Uint8Array]>>
    try {
      entries = await Promise.all(['meta/', 'q/', 'f/', 'in/', 's/'].map((prefix) => this.#store.scan(prefix)))
    } catch (error) {
      throw fail(`cannot be read: ${error instanceof Error ? error.message : String(error)}`, error)
    }
    const [meta, queued, flights, inbound, subscriptions] = entries as Array<Array<[string, Uint8Array]>>
    const owner = meta?.find(([key]) => key === META_CLIENT)?.[1]
    if (owner && decodeText(owner) !== this.#clientId) {
      throw fail(
        `belongs to the client id ${JSON.stringify(decodeText(owner))}, not ${JSON.stringify(this.#clientId)}: one store per client id`,
      )
    }
    if (!owner) this.journal.put(META_CLIENT, encodeText(this.#clientId))
    const flightOf = new Map((flights ?? []).map(([key, value]) => [seqOf(key), decodeFlight(value)]))
    const restored: Restored = {
      messages: (queued ?? []).map(([key, value]) => ({
        seq: seqOf(key),
        message: decodeMessage(value),
        flight: flightOf.get(seqOf(key)),
      })),
      inbound: (inbound ?? []).map(([key]) => Number(key.slice(3))),
      subscriptions: (subscriptions ?? []).map(([key, value]) => ({ filter: key.slice(2), ...decodeSubscription(value) })),
    }
    for (const pid of restored.inbound) this.#inbound.set(pid, 0)
    this.#nextSeq = (queued?.length ? seqOf((queued.at(-1) as [string, Uint8Array])[0]) : 0) + 1
    return restored
  }

  /** The store has been read and the restored messages adopted (`adopt()`): record what was taken meanwhile. */
  started(): void {
    const early = this.#early ?? []
    this.#early = undefined
    for (const op of early) if (!op.settled) this.queued(op)
  }

  /** A restored message, under its old number; in flight with `flight` if it was. */
  adopt(op: PublishOp, seq: number, flight: Flight | undefined): void {
    this.#seqOf.set(op, seq)
    if (flight) this.#byPid.set(flight.pid, { op, flight, mark: 0 })
  }

  /** publish() took a message: recorded before any byte of it is sent. */
  queued(op: PublishOp): void {
    if (this.#early) return void this.#early.push(op)
    const seq = this.#nextSeq++
    this.#seqOf.set(op, seq)
    this.#markOf.set(op, this.journal.put(queuedKey(seq), encodeMessage(op.message as Message & { id: string })))
  }

  /**
   * The message went out with packet id `pid` (QoS 1/2): its packet as sent, for a resend with the
   * same id after a crash. A QoS 2 one was recorded as its PUBLISH was written (`written()`), and
   * the PUBLISH waited for it (exactly once needs the broker never to hold an id the store does
   * not); a QoS 1 one is recorded now, and nothing waits for it (sent again as new, it is still at
   * least once).
   */
  sent(op: PublishOp, pid: number): void {
    if (this.#byPid.get(pid)?.op !== op) this.#fly(op, pid)
  }

  /** Records `op` in flight with `pid`; returns the number of that change (0 if there is nothing to record). */
  #fly(op: PublishOp, pid: number): number {
    const seq = this.#seqOf.get(op)
    const packet = this.session()?.pending.get(pid)?.packet
    if (seq === undefined || !packet) return 0
    const flight = { pid, released: false, packet }
    const mark = this.journal.put(flightKey(seq), encodeFlight(flight))
    this.#byPid.set(pid, { op, flight, mark })
    return mark
  }

  /** In flight no more, not settled (the broker kept no session): back to the queue, to go again as new. */
  unsent(op: PublishOp): void {
    const seq = this.#seqOf.get(op)
    if (seq === undefined) return
    for (const [pid, entry] of this.#byPid) if (entry.op === op) this.#byPid.delete(pid)
    this.journal.del(flightKey(seq))
  }

  /** Settled: delivered, refused, dropped. A message ended by close() (ECLOSED) stays: it is still owed. */
  settled(op: PublishOp, error: unknown): void {
    if (isMqttError(error) && error.code === 'ECLOSED') return
    const seq = this.#seqOf.get(op)
    if (seq === undefined) {
      if (this.#early) this.#early = this.#early.filter((early) => early !== op)
      return
    }
    for (const [pid, entry] of this.#byPid) if (entry.op === op) this.#byPid.delete(pid)
    this.journal.del(queuedKey(seq))
    this.journal.del(flightKey(seq))
  }

  /** A packet the client writes, seen before the gate holds it: what it changes is recorded first. */
  /**
   * A packet the client writes, seen before the gate holds it: what it changes is recorded, and
   * the number of the change it must wait for is returned (0: none): a PUBLISH, its message's
   * record (and a new QoS 2 one, its packet id too); a PUBREL, "released"; a PUBREC, the inbound
   * packet id; a PUBCOMP, that id's removal (once the broker has PUBCOMP it may use the id again,
   * and a record left behind would hide that message).
   */
  written({ type, pid, bytes }: Written): number {
    if (type === PUBLISH) {
      const op = this.sending
      if (!op) return 0 // a resend: its records are durable already
      const queued = this.#markOf.get(op) ?? 0
      // A new QoS 2 PUBLISH (not DUP) of the message being sent.
      const first = bytes[0] as number
      return (first & 0x0e) === 4 && !(first & 8) ? Math.max(queued, this.#fly(op, publishPid(bytes))) : queued
    }
    if (type === PUBREL) {
      const entry = this.#byPid.get(pid)
      const seq = entry && this.#seqOf.get(entry.op)
      if (!entry || seq === undefined) return 0
      if (!entry.flight.released) {
        entry.flight = { ...entry.flight, released: true }
        entry.mark = this.journal.put(flightKey(seq), encodeFlight(entry.flight))
      }
      return entry.mark
    }
    if (type === PUBREC) {
      let mark = this.#inbound.get(pid)
      if (mark === undefined) this.#inbound.set(pid, (mark = this.journal.put(inboundKey(pid), new Uint8Array(0))))
      return mark
    }
    if (type === PUBCOMP && this.#inbound.delete(pid)) return this.journal.del(inboundKey(pid))
    return 0
  }

  /** The broker kept no session: the inbound packet ids it held are gone with it (the simple client forgets them too). */
  sessionLost(): void {
    for (const pid of this.#inbound.keys()) this.journal.del(inboundKey(pid))
    this.#inbound.clear()
  }

  /** The user's subscription, granted: renewed after a restart if the broker has no session. */
  subscribed(filter: string, qos: QoS, options: SubscribeOptions | undefined): void {
    this.journal.put(subscriptionKey(filter), encodeSubscription(qos, options))
  }

  unsubscribed(filter: string): void {
    this.journal.del(subscriptionKey(filter))
  }
}
