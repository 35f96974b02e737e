import { EventEmitter } from 'eventemitter3'
import pRetry from 'p-retry'
import {
  MqttClient,
  MqttError,
  SREFUSED,
  SUNKNOWNPID,
  bytesOf,
  isMqttError,
  isRetryable,
  qosOf,
  topicOf,
  utf8,
  type Payload,
  type QoS,
} from '@x/simple'
import type { Message, RobustEvents } from './events.js'
import { BoundedQueue } from './queue.js'
import { retryOptionsOf, robustSettingsOf, simpleOptionsOf, type RobustOptions, type RobustSettings, type SimpleClient } from './options.js'

/** A message waiting to be sent or acknowledged, with the promise its publish() returned. */
interface PublishOp {
  kind: 'publish'
  message: Message
  bytes: number
  sentAt: number
  resolve: () => void
  reject: (error: unknown) => void
}

/** A subscription change waiting to be sent or acknowledged; resubscriptions have no promise. */
interface ControlOp {
  kind: 'subscribe' | 'unsubscribe'
  filter: string
  /** Order of the request: a SUBACK for a subscription older than an unsubscribe must not revive it. */
  seq: number
  qos: QoS
  sentAt: number
  resolve?: (granted: QoS) => void
  reject?: (error: unknown) => void
}

type Op = PublishOp | ControlOp

type State = 'idle' | 'connecting' | 'online' | 'offline' | 'closed'

// Errors about the arguments: sending again cannot help, so the message is refused, not requeued.
const INPUT_ERRORS = new Set(['ETOPIC', 'EFILTER', 'EQOS', 'EPAYLOAD', 'ETOOLARGE', 'ESTRTOLONG'])

const closedError = (): MqttError => new MqttError('ECLOSED', 'The client was closed')

/** A promise whose rejection counts as handled: a caller who does not await it gets no crash. */
function settled<T>(executor: (resolve: (value: T) => void, reject: (error: unknown) => void) => void): Promise<T> {
  const promise = new Promise<T>(executor)
  promise.catch(() => {})
  return promise
}

/**
 * An MQTT client for flaky links, over @x/simple's public API: it reconnects with backoff,
 * queues what is published while offline, resends what was in flight, subscribes again, and
 * runs its own receive loop. `publish()` resolves when the message is delivered.
 */
export class RobustClient extends EventEmitter<RobustEvents> {
  readonly #client: SimpleClient
  readonly #o: RobustSettings
  readonly #queue: BoundedQueue<PublishOp>
  /** Subscription changes waiting to be sent, before any queued message. */
  #control: ControlOp[] = []
  /** Sent and not yet acknowledged, by packet id, in the order sent. */
  readonly #acks = new Map<number, Op>()
  /** Filters subscribed and acknowledged, to renew after a reconnect without session. */
  readonly #subscriptions = new Map<string, QoS>()
  /**
   * Statuses for packet ids not known here yet: the simple client takes the pid before writing,
   * and an ack can be read while the write still waits for the socket to drain.
   */
  readonly #early = new Map<number, number>()
  /** SUBACK return codes by packet id, seen before the status that settles the subscription. */
  readonly #granted = new Map<number, number>()
  #inboundQos: QoS = 0
  #state: State = 'idle'
  #pumping = false
  #seq = 0
  /** The request number of each filter's last unsubscribe. */
  readonly #unsubscribedAt = new Map<string, number>()
  /** Counts connections, so the pump can tell a failure of an old link from one of the current. */
  #generation = 0
  /** The link failure the pump ran into, to report instead of the ECONNOT that follows it. */
  #linkError: MqttError | undefined
  readonly #abort = new AbortController()
  #loop: Promise<void> | undefined
  #connecting: Promise<boolean> | undefined
  #idle = new Set<() => void>()

  constructor(options: RobustOptions) {
    super()
    this.#o = robustSettingsOf(options)
    const { queue } = this.#o
    this.#queue = new BoundedQueue(queue.maxMessages, queue.maxBytes, queue.overflow)
    const simple = simpleOptionsOf(options)
    const client = (this.#client = options.createClient ? options.createClient(simple) : new MqttClient(simple))
    client.setCallbackPacket((p) => {
      if (p.type === 'publish') this.#inboundQos = p.qos
      else if (p.type === 'suback') this.#granted.set(p.pid, p.returnCodes[0] as number)
    })
    client.setCallback((topic, payload, retained, dup) => this.#emit('message', topic, payload, { retained, dup, qos: this.#inboundQos }))
    client.setCallbackStatus((pid, status) => this.#settle(pid, status))
  }

  /** Emits, turning a listener's exception into an 'error' event: a throwing listener must not stop the client. */
  #emit<E extends keyof RobustEvents>(event: E, ...args: RobustEvents[E]): void {
    try {
      ;(this.emit as (event: E, ...args: RobustEvents[E]) => boolean)(event, ...args)
    } catch (error) {
      if (event !== 'error') this.#emit('error', error)
    }
  }

  /** Whether the client is connected now. */
  get isConnected(): boolean {
    return this.#state === 'online' && this.#client.isConnected
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.#queue.length
  }

  /** QoS 1/2 messages sent and not yet acknowledged. */
  get inFlight(): number {
    let n = 0
    for (const op of this.#acks.values()) if (op.kind === 'publish') n++
    return n
  }

  /**
   * Connects, retrying with the backoff while the error is one a retry can fix; rejects at once on
   * one it cannot (bad credentials, not authorized, protocol, identifier rejected, TLS). Resolves
   * whether the broker kept a session. From then on the client stays connected until `close()`.
   */
  connect(): Promise<boolean> {
    if (this.#state === 'closed') return Promise.reject(closedError())
    this.#connecting ??= (async () => {
      this.#state = 'connecting'
      try {
        const sessionPresent = await this.#establish(undefined, true)
        this.#loop = this.#run()
        return sessionPresent
      } catch (error) {
        this.#connecting = undefined
        // close() may have run meanwhile: TypeScript cannot see that across the await.
        if ((this.#state as State) === 'closed') throw closedError()
        this.#state = 'idle'
        throw error
      }
    })()
    return this.#connecting
  }

  /**
   * Publishes. Resolves when delivered: QoS 0 written to the socket, QoS 1 on PUBACK, QoS 2 on
   * PUBCOMP, however many outages lie between. Rejects only when the queue policy drops the
   * message (EDROPPED, EQUEUEFULL) or the client is closed (ECLOSED); bad arguments reject at once.
   */
  publish(topic: string, payload: Payload, { qos = 0, retain = false }: { qos?: QoS; retain?: boolean } = {}): Promise<void> {
    return settled((resolve, reject) => {
      const message: Message = {
        topic: topicOf(topic, false, 'publish to'),
        payload: bytesOf(payload, 'publish'),
        qos: qosOf(qos, 'publish'),
        retain,
      }
      if (this.#state === 'closed') return reject(closedError())
      const op: PublishOp = { kind: 'publish', message, bytes: utf8(topic).length + message.payload.length, sentAt: 0, resolve, reject }
      if (!message.qos && !this.#o.queue.keepQos0 && this.#state !== 'online') {
        this.#emit('drop', message, 'offline')
        return reject(new MqttError('EDROPPED', `Dropped a QoS 0 message to "${topic}" published while offline (queue.keepQos0 is false)`))
      }
      const { accepted, dropped } = this.#queue.push(op)
      // Refused without being listed as dropped: policy 'reject', or too big for any queue.
      if (!accepted && !dropped.includes(op)) dropped.push(op)
      const { overflow } = this.#o.queue
      for (const old of dropped) {
        this.#emit('drop', old.message, 'overflow')
        old.reject(
          overflow === 'reject'
            ? new MqttError(
                'EQUEUEFULL',
                `Cannot publish to "${topic}": the queue is full (${this.#queue.length} messages, ${this.#queue.bytes} bytes)`,
              )
            : new MqttError('EDROPPED', `Dropped a message to "${old.message.topic}": the queue was full (queue.overflow ${overflow})`),
        )
      }
      this.#kick()
    })
  }

  /**
   * Subscribes and resolves the QoS the broker granted. The filter is remembered and subscribed
   * again after reconnects where the broker kept no session. A refused subscription (SUBACK 0x80)
   * rejects with ESUBACKFAIL (44) and is not remembered.
   */
  subscribe(topic: string, { qos = 0 }: { qos?: QoS } = {}): Promise<QoS> {
    return settled((resolve, reject) => {
      const op: ControlOp = {
        kind: 'subscribe',
        seq: ++this.#seq,
        filter: topicOf(topic, true, 'subscribe to'),
        qos: qosOf(qos, 'subscribe'),
        sentAt: 0,
        resolve,
        reject,
      }
      this.#request(op)
    })
  }

  /** Unsubscribes (and forgets the filter); resolves on UNSUBACK. */
  unsubscribe(topic: string): Promise<void> {
    return settled((resolve, reject) => {
      const filter = topicOf(topic, true, 'unsubscribe from')
      this.#subscriptions.delete(filter)
      const seq = ++this.#seq
      this.#unsubscribedAt.set(filter, seq)
      this.#request({ kind: 'unsubscribe', filter, qos: 0, seq, sentAt: 0, resolve: () => resolve(), reject })
    })
  }

  #request(op: ControlOp): void {
    if (this.#state === 'closed') return op.reject?.(closedError())
    this.#control.push(op)
    this.#kick()
  }

  /**
   * Closes: cancels any backoff wait at once, rejects what is still queued or in flight with
   * ECLOSED, disconnects, and leaves no timer or socket behind. With `flushTimeoutMs`, first waits
   * that long (at most) for the queue and the in-flight messages to drain while connected.
   */
  async close({ flushTimeoutMs = 0 }: { flushTimeoutMs?: number } = {}): Promise<void> {
    if (this.#state === 'closed') return this.#loop
    if (flushTimeoutMs > 0 && this.#state === 'online') await this.#drained(flushTimeoutMs)
    this.#state = 'closed'
    const error = closedError()
    this.#abort.abort(error)
    for (const op of [...this.#queue.clear(), ...this.#control.splice(0), ...this.#acks.values()]) op.reject?.(error)
    this.#acks.clear()
    await this.#client.disconnect()
    await this.#loop
  }

  /** Resolves when nothing waits to be sent or acknowledged, or after `timeoutMs`. */
  async #drained(timeoutMs: number): Promise<void> {
    let timer
    let wake = (): void => {}
    await new Promise<void>((resolve) => {
      this.#idle.add((wake = resolve))
      timer = setTimeout(resolve, timeoutMs)
      this.#checkIdle()
    })
    clearTimeout(timer)
    this.#idle.delete(wake)
  }

  #checkIdle(): void {
    if (!this.#queue.length && !this.#control.length && !this.#acks.size) for (const wake of this.#idle) wake()
  }

  /** Connects with the backoff; resolves once online. Rejects only when closed (or, for the first connect, on an error no retry can fix). */
  async #establish(cause: unknown, first: boolean): Promise<boolean> {
    let lastError = cause
    let failedAt = Date.now()
    const sessionPresent = await pRetry(
      (attempt) => {
        // Attempts count from the first after a failure: the first connect's own try is not one.
        if (!first || attempt > 1)
          this.#emit('reconnecting', { attempt: first ? attempt - 1 : attempt, delayMs: Date.now() - failedAt, error: lastError })
        return this.#client.connect({ cleanSession: this.#o.cleanSession })
      },
      {
        ...retryOptionsOf(this.#o.reconnect),
        signal: this.#abort.signal,
        onFailedAttempt: ({ error }) => {
          lastError = error
          failedAt = Date.now()
          // Not for an attempt that close() cut short.
          if (!first && !isRetryable(error) && !this.#abort.signal.aborted) this.#emit('error', error)
        },
        // Only the first connect gives up: later, the broker may be fixed while we wait.
        shouldRetry: ({ error }) => !first || isRetryable(error),
      },
    )
    this.#online(sessionPresent)
    return sessionPresent
  }

  /** Just connected: decide what to send again, then let the queue flow. */
  #online(sessionPresent: boolean): void {
    this.#state = 'online'
    this.#generation++
    this.#linkError = undefined
    const now = Date.now()
    if (sessionPresent) {
      // The simple client sent the unacknowledged packets again [MQTT-4.4.0-1]: keep waiting for them.
      for (const op of this.#acks.values()) op.sentAt = now
    } else {
      // No session: what was in flight is unknown to the broker. Send it again as new, in order,
      // after renewing the subscriptions.
      const lost = [...this.#acks.values()]
      this.#acks.clear()
      this.#granted.clear()
      this.#early.clear()
      const controls = lost.filter((op): op is ControlOp => op.kind !== 'publish')
      const pending = new Set([...controls, ...this.#control].map((op) => op.filter))
      const renew: ControlOp[] = this.#o.resubscribe
        ? [...this.#subscriptions]
            .filter(([filter]) => !pending.has(filter))
            .map(([filter, qos]) => ({ kind: 'subscribe', filter, qos, seq: ++this.#seq, sentAt: 0 }))
        : []
      this.#control.unshift(...renew, ...controls)
      this.#queue.unshift(...lost.filter((op): op is PublishOp => op.kind === 'publish'))
    }
    this.#emit('connect', sessionPresent)
    this.#kick()
  }

  /** The receive loop: waits for packets (callbacks run inside), watches acknowledgements, reconnects. */
  async #run(): Promise<void> {
    const tickMs = Math.min(1000, this.#o.ackTimeoutMs / 2 || 1000)
    for (;;) {
      let lost: unknown
      try {
        await this.#client.waitMsg(tickMs)
        lost = this.#overdue()
      } catch (error) {
        lost = error
      }
      if (this.#state === 'closed') return
      if (lost === undefined) continue
      this.#state = 'offline'
      const error = isMqttError(lost) && lost.code === 'ECONNOT' && this.#linkError ? this.#linkError : lost
      this.#emit('disconnect', error as MqttError)
      try {
        await this.#establish(error, false)
      } catch (failure) {
        if ((this.#state as State) === 'closed') return // closed during the backoff
        this.#emit('error', failure) // not expected: the next turn of the loop tries again
      }
    }
  }

  /** An error when the oldest unacknowledged packet has waited past `messageTimeoutMs`. */
  #overdue(): MqttError | undefined {
    if (!this.#o.ackTimeoutMs) return undefined
    for (const [pid, op] of this.#acks) {
      const waited = Date.now() - op.sentAt
      if (waited <= this.#o.ackTimeoutMs) return undefined
      return new MqttError(
        'EKEEPALIVE',
        `No acknowledgement for packet id ${pid} within ${this.#o.ackTimeoutMs} ms (messageTimeoutMs): the link is suspect`,
        { pid },
      )
    }
    return undefined
  }

  /** An acknowledgement (as a status from the simple client) settles the operation waiting for it. */
  #settle(pid: number, status: number): void {
    if (status === SUNKNOWNPID) return
    const op = this.#acks.get(pid)
    if (!op) {
      // publish() has not returned this pid yet: the ack was read while the write waited to drain.
      this.#early.set(pid, status)
      return
    }
    this.#acks.delete(pid)
    const granted = this.#granted.get(pid) ?? 0
    this.#granted.delete(pid)
    if (op.kind === 'publish') op.resolve()
    else if (op.kind === 'unsubscribe') op.resolve?.(0)
    else if (status === SREFUSED) {
      this.#subscriptions.delete(op.filter)
      const error = new MqttError('ESUBACKFAIL', `The broker refused the subscription to "${op.filter}" (SUBACK 0x80)`, {
        topic: op.filter,
        pid,
      })
      if (op.reject) op.reject(error)
      else this.#emit('error', error)
    } else {
      if (op.seq > (this.#unsubscribedAt.get(op.filter) ?? 0)) this.#subscriptions.set(op.filter, op.qos)
      op.resolve?.(granted as QoS)
    }
    this.#kick()
  }

  #kick(): void {
    this.#pump().catch((error: unknown) => this.#emit('error', error))
  }

  /** Sends what waits, in order, while connected: subscription changes first, then messages up to `maxInFlight`. */
  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#state === 'online') {
        const control = this.#control[0]
        const op = control ?? (this.inFlight < this.#o.maxInFlight ? this.#queue.shift() : undefined)
        if (!op) break
        if (control) this.#control.shift()
        const generation = this.#generation
        // A failed send stops the pump, unless the link it failed on was already replaced.
        if (!(await this.#send(op)) && generation === this.#generation) break
      }
    } finally {
      this.#pumping = false
      this.#checkIdle()
    }
  }

  /** Sends one operation; on a link failure puts it back at the front and returns false. */
  async #send(op: Op): Promise<boolean> {
    const client = this.#client
    try {
      const pid =
        op.kind === 'publish'
          ? await client.publish(op.message.topic, op.message.payload, { qos: op.message.qos, retain: op.message.retain })
          : op.kind === 'subscribe'
            ? await client.subscribe(op.filter, { qos: op.qos })
            : await client.unsubscribe(op.filter)
      if (pid === undefined) (op as PublishOp).resolve()
      else {
        op.sentAt = Date.now()
        this.#acks.set(pid, op)
        const status = this.#early.get(pid)
        this.#early.delete(pid)
        if (status !== undefined) this.#settle(pid, status)
      }
      return true
    } catch (error) {
      if (isMqttError(error) && INPUT_ERRORS.has(error.code)) {
        op.reject?.(error)
        return true
      }
      if (isMqttError(error) && error.code !== 'ECONNOT') this.#linkError = error
      if (op.kind === 'publish') this.#queue.unshift(op)
      else this.#control.unshift(op)
      return false
    }
  }
}
