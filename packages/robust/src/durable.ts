import { MqttError, isMqttError, type QoS, type SubscribeOptions } from '@x/simple'
import type { Written } from './durable-gate.js'
import { Journal } from './durable-journal.js'
import {
  LOG_PREFIX,
  META_CLIENT,
  R,
  decodeText,
  encodeText,
  segmentOf,
  writeFlight,
  writeMessage,
  writeSubscription,
  type Flight,
  type RecordWriter,
} from './durable-records.js'
import { replay, type Restored } from './durable-replay.js'
import type { Message } from './events.js'
import type { PublishOp } from './outbox.js'
import type { Store } from './store.js'

export type { Restored } from './durable-replay.js'

/** What the store knows of one message: its number (publish() order), the last change to it, and its flight. */
interface Rec {
  readonly seq: number
  readonly op: PublishOp
  /** The number of the last change recorded for it: a packet of it waits for that. */
  mark: number
  flight: Flight | undefined
}

/** The packet id of an encoded PUBLISH at QoS 1 or 2: after the fixed header and the topic name. */
function publishPid(bytes: Uint8Array): number {
  let at = 1
  while ((bytes[at++] as number) & 128);
  at += 2 + (((bytes[at] as number) << 8) | (bytes[at + 1] as number))
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number)
}

const PUBLISH = 3
const PUBREC = 5
const PUBREL = 6
const PUBCOMP = 7

/**
 * Durable sessions (contract §7): the outbox's transitions written ahead to a Store, and read
 * back after a restart. Every message is recorded when publish() takes it, its packet id when it
 * is sent (not the packet: durable-resend.ts), "released" when PUBREL goes, and removed when it settles (but not when
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
  /** Messages taken before the store was read: recorded once it is (after what it held). */
  #early: PublishOp[] | undefined = []
  #nextSeq = 1
  /** Every message the store holds, by number; by message; in flight by packet id. */
  readonly #live = new Map<number, Rec>()
  readonly #recOf = new WeakMap<PublishOp, Rec>()
  readonly #byPid = new Map<number, Rec>()
  /** Inbound QoS 2 packet ids recorded (PUBREC sent, PUBCOMP not yet), with the number of the change that recorded each. */
  readonly #inbound = new Map<number, number>()
  readonly #subscriptions = new Map<string, { qos: QoS; options: SubscribeOptions | undefined }>()
  /** Filters unsubscribed whose UNSUBACK has not come: the broker's session may still hold them. */
  readonly #unsubscribing = new Set<string>()
  /** The message the sender is handing to the client now: its PUBLISH is the next QoS 2 one the gate sees. */
  sending: PublishOp | undefined

  constructor(store: Store, clientId: string, name: string) {
    this.#store = store
    this.#clientId = clientId
    this.#name = name
    this.journal = new Journal(store, name)
    this.journal.snapshot = (records) => this.#snapshot(records)
  }

  /**
   * Opens the store and reads back what it holds. Rejects with ESTORE when it cannot be opened,
   * cannot be read or belongs to another client id. Then records the messages taken meanwhile, after those.
   */
  async restore(): Promise<Restored> {
    const fail = (what: string, cause?: unknown): MqttError =>
      new MqttError('ESTORE', `The store ${this.#name} ${what}`, { operation: 'connect', ...(cause === undefined ? {} : { cause }) })
    const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))
    try {
      await this.#store.open()
    } catch (error) {
      throw isMqttError(error) && error.code === 'ESTORE' ? error : fail(`cannot be opened: ${reason(error)}`, error)
    }
    let entries: Array<[string, Uint8Array]>
    try {
      entries = await this.#store.scan('')
    } catch (error) {
      throw fail(`cannot be read: ${reason(error)}`, error)
    }
    // What is owed is all in the log: a key of any other kind is not ours to skip quietly.
    const log = entries.filter(([key]) => key.startsWith(LOG_PREFIX))
    const foreign = entries.find(([key]) => !key.startsWith(LOG_PREFIX) && key !== META_CLIENT)?.[0]
    if (foreign !== undefined) {
      throw fail(
        `holds keys @x/robust does not write (${JSON.stringify(foreign)}): another program's, or an older layout's; it is not read`,
      )
    }
    const owner = entries.find(([key]) => key === META_CLIENT)?.[1]
    if (owner && decodeText(owner) !== this.#clientId) {
      throw fail(
        `belongs to the client id ${JSON.stringify(decodeText(owner))}, not ${JSON.stringify(this.#clientId)}: one store per client id`,
      )
    }
    let restored: Restored
    try {
      restored = replay(log.map(([, value]) => value))
    } catch (error) {
      throw fail(`cannot be read: its log is corrupt (${reason(error)})`, error)
    }
    if (!owner) this.journal.put(META_CLIENT, encodeText(this.#clientId))
    // Where the log's last snapshot is, so the next one comes as often as if the process had lived.
    const last = log.findLastIndex(([, value]) => value[0] === R.RESET)
    const appended = log.slice(last + 1).reduce((sum, [, value]) => sum + value.length, 0)
    this.journal.resume(
      log.map(([key]) => segmentOf(key)),
      appended,
      last < 0 ? 0 : (log[last] as [string, Uint8Array])[1].length,
    )
    for (const pid of restored.inbound) this.#inbound.set(pid, 0)
    for (const { filter, qos, options } of restored.subscriptions) this.#subscriptions.set(filter, { qos, options })
    for (const filter of restored.unsubscribing) this.#unsubscribing.add(filter)
    this.#nextSeq = (restored.messages.at(-1)?.seq ?? 0) + 1
    return restored
  }

  /** Messages publish() took that wait for the store to be read, to be recorded after what it holds. */
  get unread(): readonly PublishOp[] {
    return this.#early ?? []
  }

  /**
   * The store has been read: record what was taken meanwhile. Those close() ended are recorded too:
   * they are still owed (the others left the list as they settled). `adopted`: the restored
   * messages were adopted (`adopt()`); when not (the client closed first), what is recorded is
   * appended, never a snapshot, which knows only the adopted and would drop the rest from the log.
   */
  started(adopted: boolean): void {
    if (!adopted) this.journal.snapshot = undefined
    const early = this.#early ?? []
    this.#early = undefined
    for (const op of early) this.queued(op)
  }

  /** A restored message, under its old number; in flight with `flight` if it was. */
  adopt(op: PublishOp, seq: number, flight: Flight | undefined): void {
    this.#keep({ seq, op, mark: 0, flight })
  }

  #keep(rec: Rec): void {
    this.#live.set(rec.seq, rec)
    this.#recOf.set(rec.op, rec)
    if (rec.flight) this.#byPid.set(rec.flight.pid, rec)
  }

  /** publish() took a message: recorded before any byte of it is sent. */
  queued(op: PublishOp): void {
    if (this.#early) return void this.#early.push(op)
    const seq = this.#nextSeq++
    const mark = this.journal.record((records) => writeMessage(records, seq, op.message as Message & { id: string }, op.queuedAt))
    this.#keep({ seq, op, mark, flight: undefined })
  }

  /**
   * The message went out with packet id `pid` (QoS 1/2), for a resend with the same id after a
   * crash (its PUBLISH encoded anew then: durable-resend.ts). A QoS 2 one was recorded as its
   * PUBLISH was written (`written()`), and the PUBLISH waited for it (exactly once needs the broker never to hold an id the store does
   * not); a QoS 1 one is recorded now, and nothing waits for it (sent again as new, it is still at
   * least once).
   */
  sent(op: PublishOp, pid: number): void {
    const rec = this.#recOf.get(op)
    if (rec && rec.flight?.pid !== pid) this.#fly(rec, pid)
  }

  /** Records `rec` in flight with `pid`; returns the number of that change. */
  #fly(rec: Rec, pid: number): number {
    if (rec.flight) this.#byPid.delete(rec.flight.pid)
    const flight = (rec.flight = { pid, released: false })
    this.#byPid.set(pid, rec)
    return (rec.mark = this.journal.record((records) => writeFlight(records, rec.seq, flight)))
  }

  /** In flight no more, not settled (the broker kept no session): back to the queue, to go again as new. */
  unsent(op: PublishOp): void {
    const rec = this.#recOf.get(op)
    if (!rec?.flight) return
    this.#byPid.delete(rec.flight.pid)
    rec.flight = undefined
    rec.mark = this.journal.record((records) => records.u8(R.UNSENT).f64(rec.seq))
  }

  /** Settled: delivered, refused, dropped. A message ended by close() (ECLOSED) stays: it is still owed. */
  settled(op: PublishOp, error: unknown): void {
    if (isMqttError(error) && error.code === 'ECLOSED') return
    const rec = this.#recOf.get(op)
    if (!rec) {
      if (this.#early) this.#early = this.#early.filter((early) => early !== op)
      return
    }
    this.#live.delete(rec.seq)
    this.#recOf.delete(op)
    if (rec.flight) this.#byPid.delete(rec.flight.pid)
    this.journal.record((records) => records.u8(R.SETTLED).f64(rec.seq))
  }

  /**
   * A packet the client writes, seen before the gate holds it: what it changes is recorded, and
   * the number of the change it must wait for is returned (0: none): a PUBLISH, its message's
   * record (and a new QoS 2 one, its packet id too); a PUBREL, "released"; a PUBREC, the inbound
   * packet id; a PUBCOMP, that id's removal (once the broker has PUBCOMP it may use the id again,
   * and a record left behind would hide that message).
   */
  written({ type, pid, bytes }: Written): number {
    if (type === PUBLISH) {
      const rec = this.sending && this.#recOf.get(this.sending)
      if (!rec) return 0 // a resend: its records are durable already
      // A new QoS 2 PUBLISH (not DUP) of the message being sent: its packet id.
      const first = bytes[0] as number
      return (first & 0x0e) === 4 && !(first & 8) ? this.#fly(rec, publishPid(bytes)) : rec.mark
    }
    if (type === PUBREL) {
      const rec = this.#byPid.get(pid)
      if (!rec?.flight) return 0
      if (!rec.flight.released) {
        rec.flight.released = true
        rec.mark = this.journal.record((records) => records.u8(R.RELEASED).f64(rec.seq))
      }
      return rec.mark
    }
    if (type === PUBREC) {
      let mark = this.#inbound.get(pid)
      if (mark === undefined) this.#inbound.set(pid, (mark = this.journal.record((records) => records.u8(R.INBOUND).u16(pid))))
      return mark
    }
    if (type === PUBCOMP && this.#inbound.delete(pid)) return this.journal.record((records) => records.u8(R.INBOUND_DONE).u16(pid))
    return 0
  }

  /**
   * Connected: the inbound packet ids the simple client holds now (`held`) are all this session
   * holds. Those it forgot are forgotten here too: all of them when the broker kept no session,
   * another node's when the client moved where each node keeps a session of its own (a stored id
   * left behind would take a new message under it for a duplicate after a restart). Without a
   * session, the filters unsubscribed are held nowhere either.
   */
  connected(sessionPresent: boolean, held: ReadonlySet<number>): void {
    for (const pid of [...this.#inbound.keys()]) {
      if (held.has(pid)) continue
      this.#inbound.delete(pid)
      this.journal.record((records) => records.u8(R.INBOUND_DONE).u16(pid))
    }
    if (!sessionPresent) for (const filter of [...this.#unsubscribing]) this.dropped(filter)
  }

  /**
   * A subscription the user's calls ask for (as requested, with the requested QoS), granted:
   * renewed after a restart if the broker has no session. (The Subscriptions' observer, as are the two below.)
   */
  subscribed(filter: string, qos: QoS, options: SubscribeOptions | undefined): void {
    const known = this.#subscriptions.get(filter)
    // A renewal of what is stored already (a reconnection without a session) changes nothing.
    if (known?.qos === qos && known.options === options && !this.#unsubscribing.has(filter)) return
    this.#subscriptions.set(filter, { qos, options })
    this.#unsubscribing.delete(filter)
    this.journal.record((records) => writeSubscription(records, filter, qos, options))
  }

  /** Unsubscribed: not renewed after a restart, and, until its UNSUBACK, dropped from a session the broker kept. */
  unsubscribed(filter: string): void {
    this.#subscriptions.delete(filter)
    this.#unsubscribing.add(filter)
    this.journal.record((records) => records.u8(R.UNSUBSCRIBED).str(filter))
  }

  /** The broker's session holds the filter no more. */
  dropped(filter: string): void {
    if (this.#unsubscribing.delete(filter)) this.journal.record((records) => records.u8(R.DROPPED).str(filter))
  }

  /** The whole state as records: what a snapshot of the log holds. */
  #snapshot(records: RecordWriter): void {
    for (const { seq, op, flight } of this.#live.values()) {
      writeMessage(records, seq, op.message as Message & { id: string }, op.queuedAt)
      if (flight) writeFlight(records, seq, flight)
      if (flight?.released) records.u8(R.RELEASED).f64(seq)
    }
    for (const pid of this.#inbound.keys()) records.u8(R.INBOUND).u16(pid)
    for (const [filter, { qos, options }] of this.#subscriptions) writeSubscription(records, filter, qos, options)
    for (const filter of this.#unsubscribing) records.u8(R.UNSUBSCRIBED).str(filter)
  }
}
