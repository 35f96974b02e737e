import type { QoS, SubscribeOptions } from '@x/simple'
import type { Message } from './events.js'
import type { OverflowPolicy } from './options.js'
import { BoundedQueue } from './queue.js'

interface Settles<T> {
  /** Order of the request: requeued work goes back in this order. */
  readonly seq: number
  /** When it was last sent (ms since the epoch), for the acknowledgement deadline. */
  sentAt: number
  settled: boolean
  readonly resolve: (value: T) => void
  readonly reject: (error: unknown) => void
}

/** A message from publish(), with its promise. */
export interface PublishOp extends Settles<void> {
  readonly kind: 'publish'
  readonly message: Message
  /** Topic and payload bytes: what counts against `queue.maxBytes`. */
  readonly bytes: number
  /** Taken from the queue to be sent (the simple client has encoded it, bytes and all). */
  handed: boolean
  /** When publish() was called (ms since the epoch): MQTT 5's message expiry counts from then. */
  readonly queuedAt: number
}

/** A subscription change. One the client makes itself, to bring a session in line with the calls, has no caller: `renewal` is set. */
export interface ControlOp extends Settles<QoS> {
  readonly kind: 'subscribe' | 'unsubscribe'
  readonly filter: string
  readonly qos: QoS
  readonly renewal: boolean
  /** MQTT 5: the subscription options and properties (subscribe), or the properties (unsubscribe). */
  readonly options: SubscribeOptions | undefined
  /** Nothing counts against the message queue's byte bound. */
  readonly bytes: 0
}

export type Op = PublishOp | ControlOp

/** Hears of a message's transitions (durable sessions write them ahead to a store). */
export interface OutboxObserver {
  queued(op: PublishOp): void
  sent(op: PublishOp, pid: number): void
  /** Out of flight without settling (the broker kept no session): it goes again as new. */
  unsent(op: PublishOp): void
  settled(op: PublishOp, error: unknown): void
}

/**
 * Every operation a caller waits on, from queued to settled, in one registry: subscription
 * changes waiting (sent before any message), messages waiting (bounded), and what is in flight
 * by packet id. Each operation settles exactly once, through `settle()`; `closeAll()` settles
 * whatever is still open, wherever it is, so no promise can be forgotten.
 */
export class Outbox {
  readonly #open = new Set<Op>()
  readonly #control = new BoundedQueue<ControlOp>(Infinity, Infinity, 'reject')
  readonly #queue: BoundedQueue<PublishOp>
  /** Sent, awaiting an acknowledgement, by packet id, in the order sent. */
  readonly #inFlight = new Map<number, Op>()
  #messagesInFlight = 0
  /** QoS 1/2 messages in the queue: each will need room in the window. */
  #queuedAcked = 0
  #seq = 0
  /** Waiting for nothing to be open (close with a flush); made when first needed. */
  #idle: Set<() => void> | undefined
  /** Durable sessions: told of each message's transitions. */
  observer: OutboxObserver | undefined

  constructor(maxMessages: number, maxBytes: number, overflow: OverflowPolicy) {
    this.#queue = new BoundedQueue(maxMessages, maxBytes, overflow)
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.#queue.length
  }

  /** The bytes of the messages waiting. */
  get queuedBytes(): number {
    return this.#queue.bytes
  }

  /** QoS 1/2 messages sent and not yet acknowledged. */
  get inFlight(): number {
    return this.#messagesInFlight
  }

  /**
   * Whether a new message at `qos` would go out without waiting for the window: what is ahead of
   * it (in flight, subscription changes, QoS 1/2 messages queued) leaves it room. QoS 0 needs no
   * room of its own, only that nothing ahead of it is held back.
   */
  passes(qos: QoS, window: number): boolean {
    return this.#inFlight.size + this.#control.length + this.#queuedAcked + (qos ? 1 : 0) <= window
  }

  /** Whether one more packet with an id may be sent within `window` packets in flight. */
  #fits(window: number): boolean {
    return this.#inFlight.size < window
  }

  /**
   * A new message from publish(), registered as open (`queuedAt`: when publish() took it, if not
   * now: a message restored from a store). (Object literals of one shape: this runs per message.)
   */
  message(message: Message, bytes: number, resolve: () => void, reject: (error: unknown) => void, queuedAt?: number): PublishOp {
    const op: PublishOp = {
      kind: 'publish',
      message,
      bytes,
      seq: ++this.#seq,
      sentAt: 0,
      settled: false,
      handed: false,
      queuedAt: message.properties?.messageExpiryInterval === undefined ? 0 : (queuedAt ?? Date.now()),
      resolve,
      reject,
    }
    this.#open.add(op)
    return op
  }

  /** A new subscription change, registered as open; without `settle` it is a renewal, which no caller waits for. */
  control(
    kind: ControlOp['kind'],
    filter: string,
    qos: QoS,
    settle?: Pick<ControlOp, 'resolve' | 'reject'>,
    options?: SubscribeOptions,
  ): ControlOp {
    const none = (): void => {}
    const op: ControlOp = {
      kind,
      filter,
      qos,
      options,
      renewal: !settle,
      bytes: 0,
      seq: ++this.#seq,
      sentAt: 0,
      settled: false,
      resolve: settle?.resolve ?? none,
      reject: settle?.reject ?? none,
    }
    this.#open.add(op)
    return op
  }

  /** A subscription change waits behind the others, before any message. */
  addControl(op: ControlOp): void {
    this.#control.push(op)
  }

  /**
   * A message joins the queue. `passing` says it does not have to wait (online, the socket taking
   * bytes, room in the window): then the queue's bounds do not apply, for they bound only what
   * waits. Returns the messages the overflow policy dropped (the new one among them if refused).
   */
  addMessage(op: PublishOp, passing: boolean): PublishOp[] {
    const { accepted, dropped } = this.#queue.push(op, passing)
    if (!accepted && !dropped.includes(op)) dropped.push(op)
    if (accepted) {
      this.#queuedAcked += op.message.qos ? 1 : 0
      this.observer?.queued(op)
    }
    for (const old of dropped) if (old !== op) this.#queuedAcked -= old.message.qos ? 1 : 0
    return dropped
  }

  /** The next operation to send within `window` packets in flight, taken from its queue; in order, so a message that must wait holds back those behind it. */
  next(window: number): Op | undefined {
    if (this.#control.length) return this.#fits(window) ? this.#control.shift() : undefined
    const head = this.#queue.peek()
    if (!head || (head.message.qos && !this.#fits(window))) return undefined
    this.#queuedAcked -= head.message.qos ? 1 : 0
    head.handed = true
    return this.#queue.shift()
  }

  /** A send failed with the link: the operation goes back to the front of its queue. */
  putBack(op: Op): void {
    if (op.settled) return
    if (op.kind !== 'publish') return this.#control.unshift([op])
    this.observer?.unsent(op)
    this.#queue.unshift([op])
    this.#queuedAcked += op.message.qos ? 1 : 0
  }

  /** Sent with a packet id: in flight until its acknowledgement. */
  sent(op: Op, pid: number, now: number): void {
    if (op.settled) return
    op.sentAt = now
    this.#inFlight.set(pid, op)
    if (op.kind !== 'publish') return
    this.#messagesInFlight++
    this.observer?.sent(op, pid)
  }

  /**
   * Messages a store gave back after a restart, ahead of everything waiting: `inFlight` with the
   * packet ids they had (the simple client's session sends them again), then `queued`, in order.
   */
  restore(inFlight: Array<[pid: number, op: PublishOp]>, queued: PublishOp[], now: number): void {
    for (const [pid, op] of inFlight) {
      op.sentAt = now
      op.handed = true
      this.#inFlight.set(pid, op)
      this.#messagesInFlight++
    }
    this.#queue.unshift(queued)
    for (const op of queued) this.#queuedAcked += op.message.qos ? 1 : 0
  }

  /** The operation an acknowledgement is for, no longer in flight; `undefined` for a packet id nobody waits on. */
  acknowledged(pid: number): Op | undefined {
    const op = this.#inFlight.get(pid)
    if (!op) return undefined
    this.#inFlight.delete(pid)
    if (op.kind === 'publish') this.#messagesInFlight--
    return op
  }

  /** The broker kept the session and has the client send the unacknowledged again: their deadlines start over. */
  resumed(now: number): void {
    for (const op of this.#inFlight.values()) op.sentAt = now
  }

  /**
   * The broker kept no session: what was in flight is unknown to it. Back to the front of the
   * queues, in the order first requested, to be sent again as new.
   */
  requeueInFlight(): void {
    const ops = [...this.#inFlight.values()].sort((a, b) => a.seq - b.seq)
    this.#inFlight.clear()
    this.#messagesInFlight = 0
    const messages = ops.filter((op): op is PublishOp => op.kind === 'publish')
    for (const op of messages) this.observer?.unsent(op)
    this.#queue.unshift(messages)
    this.#queuedAcked += messages.length
    this.#control.unshift(ops.filter((op): op is ControlOp => op.kind !== 'publish'))
  }

  /** Subscription changes that go before everything else waiting (the renewals on connecting). */
  controlFirst(ops: ControlOp[]): void {
    this.#control.unshift(ops)
  }

  /** The filters of the subscription changes waiting or in flight. */
  pendingFilters(): Set<string> {
    const filters = new Set<string>()
    for (const op of this.#open) if (op.kind !== 'publish') filters.add(op.filter)
    return filters
  }

  /** The oldest operation in flight whose acknowledgement is overdue, with its packet id. */
  overdue(now: number, timeoutMs: number): [pid: number, op: Op] | undefined {
    for (const entry of this.#inFlight) return entry[1].sentAt + timeoutMs <= now ? entry : undefined
    return undefined
  }

  /** When the oldest acknowledgement in flight is due, or undefined. */
  nextDeadline(timeoutMs: number): number | undefined {
    for (const op of this.#inFlight.values()) return op.sentAt + timeoutMs
    return undefined
  }

  /** The one place an operation ends: resolved (a subscription with the granted QoS), or rejected with `error`. */
  settle(op: Op, error?: unknown, granted: QoS = 0): void {
    if (op.settled) return
    op.settled = true
    this.#open.delete(op)
    if (op.kind === 'publish') this.observer?.settled(op, error)
    if (error !== undefined) op.reject(error)
    else if (op.kind === 'publish') op.resolve()
    else op.resolve(granted)
    if (this.#idle && !this.#open.size) for (const wake of this.#idle) wake()
  }

  /** Settles everything still open with `error`, wherever it waits, and empties every queue. */
  closeAll(error: unknown): void {
    this.#queue.clear()
    this.#control.clear()
    this.#inFlight.clear()
    this.#messagesInFlight = this.#queuedAcked = 0
    for (const op of [...this.#open]) this.settle(op, error)
  }

  /** Resolves once nothing is open, or after `timeoutMs`. */
  async drained(timeoutMs: number): Promise<void> {
    if (!this.#open.size) return
    let timer: ReturnType<typeof setTimeout> | undefined
    let wake = (): void => {}
    await new Promise<void>((resolve) => {
      ;(this.#idle ??= new Set()).add((wake = resolve))
      timer = setTimeout(resolve, timeoutMs)
    })
    clearTimeout(timer)
    this.#idle?.delete(wake)
  }
}
