import { EventEmitter } from 'eventemitter3'
import {
  MqttClient,
  MqttError,
  bytesOf,
  defaultTransport,
  isMqttError,
  qosOf,
  topicOf,
  utf8Length,
  type DisconnectProperties,
  type Payload,
  type PublishProperties,
  type QoS,
  type SubscribeOptions,
  type UnsubscribeProperties,
} from '@x/simple'
import { acknowledge } from './acknowledgements.js'
import { backoffMs, connectFirst, reconnect, type AttemptHooks } from './connection.js'
import { errorOf, warn, type Message, type MessageInfo, type RobustEvents } from './events.js'
import { robustSettingsOf, serversOf, simpleOptionsOf, type RobustOptions, type RobustSettings } from './options.js'
import { Outbox, type PublishOp } from './outbox.js'
import { queueError } from './queue-errors.js'
import { receiveUntilLost } from './receive-loop.js'
import { resume } from './resume.js'
import { within } from './within.js'
import { Requests, type RequestOptions, type Response } from './requests.js'
import { expiredError, Sender } from './sender.js'
import { gated } from './durable-gate.js'
import { resendEncoder, type ResendEncoder } from './durable-resend.js'
import { restoreInto } from './durable-restore.js'
import { Durability, type Restored } from './durable.js'
import type { Store } from './store.js'
import { ServerList, type MakeClient } from './servers.js'
import { credentialSourceOf } from './credentials.js'
import { Subscriptions } from './subscriptions.js'
import { hex } from './hex.js'

/**
 * - idle: not started, or the first connect() failed;
 * - connecting: the first connect() is under way;
 * - online / offline: connected, or between connections (reconnecting);
 * - closed: for good.
 */
type State = 'idle' | 'connecting' | 'online' | 'offline' | 'closed'

const closedError = (): MqttError => new MqttError('ECLOSED', 'The client was closed')

/** A store's name for messages: its location, when it has one. */
const storeName = (store: Store): string => {
  const location = (store as { location?: unknown }).location
  return typeof location === 'string' ? JSON.stringify(location) : '(in memory)'
}

/** Redirects followed without a backoff between two stable connections: beyond them, the backoff goes on as for any short-lived link. */
const MAX_QUICK_REDIRECTS = 3

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
  readonly #client: ServerList
  readonly #o: RobustSettings
  readonly #outbox: Outbox
  readonly #subscriptions = new Subscriptions()
  /** What the client is doing; it changes only through `#enter()`. */
  #state: State = 'idle'
  /** Aborted by close(): ends every wait, attempt and backoff. */
  readonly #life = new AbortController()
  /** The first connect()'s promise, shared by calls made while it runs or once it is done. */
  #connecting: Promise<boolean> | undefined
  /** The connection loop, from the first CONNACK to close(). */
  #loop: Promise<void> | undefined
  readonly #sender: Sender
  /** MQTT 5: request()'s bookkeeping, made at the first request (an idle client holds none). */
  #requests: Requests | undefined
  readonly #clientId: string
  /** The deadline of what waits on the network or the store (@x/simple's option, 5000 by default). */
  readonly #socketTimeoutMs: number
  /** MQTT 5: refusals for now (quota exceeded, server busy) in a row: the backoff before sending again grows with them. */
  #busy = 0
  /** With a store: the write-ahead of durable sessions, and whether connect() has read the store yet. */
  readonly #durable: Durability | undefined
  /** The store being read back (made once; again after a failure): connect() waits for it, close() does not. */
  #restoring: Promise<void> | undefined
  /**
   * Ids the client gives messages published without one (with a store): unique across restarts,
   * so a random prefix per client and a count, not the clock (a device without a real-time clock
   * boots to the same time every time). Made at the first.
   */
  #idPrefix: string | undefined
  #ids = 0
  readonly #hooks: AttemptHooks = {
    reconnecting: (info) => this.#emit('reconnecting', info),
    unfixable: (error) => this.#error(error),
    server: () => this.#client.server,
  }

  constructor(options: RobustOptions) {
    super()
    const o = (this.#o = robustSettingsOf(options))
    this.#outbox = new Outbox(o.queue.maxMessages, o.queue.maxBytes, o.queue.overflow)
    const create = options.createClient ?? ((simple) => new MqttClient(simple))
    const store = options.store
    const durable = (this.#durable = store && new Durability(store, options.clientId, storeName(store)))
    const make: MakeClient = (server, session, credentials) => {
      const simple = { ...simpleOptionsOf(options, server, credentials), ...(session && { session }) }
      // With a store, no byte goes out before what it stands for is durable.
      if (durable) simple.transport = gated(simple.transport ?? defaultTransport, durable.journal, (packet) => durable.written(packet))
      return create(simple)
    }
    const servers = serversOf(options)
    // Every server's options are checked now, not when the client first moves to it.
    for (const server of servers.slice(1)) if (!options.createClient) make(server)
    const client = (this.#client = new ServerList(servers, make, credentialSourceOf(options)))
    this.#sender = new Sender(client, this.#outbox, {
      online: () => this.#state === 'online',
      window: () => this.#window(),
      expired: (op) => {
        this.#emit('drop', op.message, 'expired')
        this.#outbox.settle(op, expiredError(op))
      },
      unexpected: (error) => this.#error(error),
      renewalFailed: (error) => this.#error(error),
      ...(durable && { sending: (op: PublishOp | undefined) => void (durable.sending = op) }),
    })
    this.#clientId = options.clientId
    this.#socketTimeoutMs = options.socketTimeoutMs ?? 5000
    if (durable) {
      this.#outbox.observer = {
        queued: (op) => durable.queued(op),
        sent: (op, pid) => durable.sent(op, pid),
        unsent: (op) => durable.unsent(op),
        settled: (op, error) => durable.settled(op, error),
      }
      this.#subscriptions.observer = durable
      durable.journal.onFailure = (error) => void this.#storeFailed(error)
    }
    const will = options.will
    if (will) {
      const { qos = 0, retain = false, properties } = will
      client.setLastWill(will.topic, will.payload, { qos, retain, ...(properties && { properties }) })
    }
    client.setCallback((topic, payload, retained, dup, qos, properties) => {
      if (properties && this.#o.mqtt5 && this.#requestsOf().received(topic, payload, properties)) return
      const info: MessageInfo = { retained, dup, qos }
      if (properties) info.properties = properties
      this.#emit('message', topic, payload, info)
    })
    client.setCallbackStatus((pid, status, code, properties) => {
      const { refused, busy, delivered } = acknowledge(this.#outbox, this.#subscriptions, client.server, pid, status, code, properties)
      if (refused) this.#error(refused)
      if (delivered) this.#busy = 0
      // MQTT 5: over quota or busy: the message is queued again; nothing goes until a backoff has passed.
      if (busy) this.#sender.holdFor(backoffMs(this.#o.reconnect, ++this.#busy))
      this.#sender.kick()
    })
    client.setCallbackOversize((topic, size, qos, retain) =>
      this.#emit('drop', { topic, payload: new Uint8Array(0), qos, retain, size }, 'oversize'),
    )
  }

  /** Emits, unless closed; a throwing listener becomes an 'error' event, an unheard 'error' a warning. */
  #emit<E extends keyof RobustEvents>(event: E, ...args: RobustEvents[E]): void {
    if (this.#state === 'closed') return
    if (event === 'error' && !this.listenerCount('error')) return warn(args[0])
    try {
      ;(this.emit as (event: E, ...args: RobustEvents[E]) => boolean)(event, ...args)
    } catch (error) {
      if (event !== 'error') this.#error(error)
      else warn(error)
    }
  }

  /** Emits `'error'`: an Error as it is, anything else thrown as an MqttError, so a listener can rely on `.message`. */
  #error(error: unknown): void {
    this.#emit('error', errorOf(error))
  }

  /** The one place the state changes; closed is for good. */
  #enter(state: State): void {
    if (this.#state !== 'closed') this.#state = state
  }

  /** QoS 1/2 messages unacknowledged at most: `maxInFlight`, or (MQTT 5) the broker's Receive Maximum if smaller. */
  #window(): number {
    return Math.min(this.#o.maxInFlight, this.#client.connack?.properties?.receiveMaximum ?? Infinity)
  }

  /** The server of the current connection (or of the last one, or the first of the list). */
  get server(): string {
    return this.#client.server
  }

  /** Whether the client is connected now. */
  get isConnected(): boolean {
    return this.#state === 'online' && this.#client.isConnected
  }

  /** Messages waiting to be sent. */
  get queued(): number {
    return this.#outbox.queued
  }

  /** QoS 1/2 messages sent and not yet acknowledged. */
  get inFlight(): number {
    return this.#outbox.inFlight
  }

  /**
   * Connects, retrying with the backoff while the error is one a retry can fix; rejects at once on
   * one it cannot (bad credentials, not authorized, protocol, identifier rejected, TLS), with
   * ECLOSED when `close()` is called, or with the signal's reason when `signal` aborts, even
   * mid-handshake (a deadline's TimeoutError then carries `attempts`, how many were made, and as
   * `cause` what the last met). Without a signal it retries for ever: each retry is a
   * `'reconnecting'` event naming the server and the error. Resolves whether the broker kept a
   * session. From then on the client stays connected until `close()`; `signal` only governs this
   * first connection.
   */
  connect({ signal }: { signal?: AbortSignal } = {}): Promise<boolean> {
    if (this.#state === 'closed') return Promise.reject(closedError())
    this.#connecting ??= this.#connectFirst(signal)
    return this.#connecting
  }

  async #connectFirst(signal: AbortSignal | undefined): Promise<boolean> {
    this.#enter('connecting')
    const stop = signal ? AbortSignal.any([this.#life.signal, signal]) : this.#life.signal
    try {
      // close() (or the signal) ends the wait, not the reading: a connect() after it waits for the same one.
      if (this.#durable) await within((this.#restoring ??= this.#restore(this.#durable)), Infinity, stop, closedError)
      const sessionPresent = await connectFirst(() => this.#attempt(stop), this.#o.reconnect, stop, this.#hooks)
      this.#loop = this.#stayConnected()
      return sessionPresent
    } catch (error) {
      this.#connecting = undefined
      this.#enter('idle')
      if (this.#life.signal.aborted) throw closedError()
      // Aborted, perhaps just after a CONNACK: release the connection too.
      await this.#client.disconnect()
      throw error
    }
  }

  /** With a store: what a process before left owed, read back before the first connection (ESTORE if the store fails). */
  async #restore(durable: Durability): Promise<void> {
    let restored: Restored
    let resend: ResendEncoder
    try {
      restored = await durable.restore()
      resend = await resendEncoder(this.#o.mqtt5)
    } catch (error) {
      this.#restoring = undefined // the next connect() tries again
      throw error
    }
    // Closed meanwhile: what the store holds stays there, and what publish() took is recorded after it.
    if (this.#state === 'closed') return durable.started(false)
    const info = restoreInto(restored, durable, this.#outbox, this.#client.session, this.#subscriptions, resend, {
      delivered: (message) => this.#emit('delivered', message),
      failed: (message, error) => {
        // Still owed after close(); an overflow or an expiry has had its 'drop' already.
        if (isMqttError(error) && ['ECLOSED', 'EDROPPED', 'EQUEUEFULL', 'EEXPIRED', 'ESTORE'].includes(error.code)) return
        this.#emit('drop', message, 'refused')
      },
    })
    this.#emit('restored', info)
  }

  /** The store failed a write: what was not written is not sent; every promise rejects with why, and the client closes. */
  async #storeFailed(error: MqttError): Promise<void> {
    this.#error(error)
    await this.#shutdown(error)
  }

  /**
   * close() with messages publish() took before the store was read (connect() not called, or its
   * read under way): they are owed as the rest, so the store is read first (at most
   * socketTimeoutMs) and they are recorded after what it holds. Returns why they could not be.
   */
  async #readStore(durable: Durability): Promise<MqttError | undefined> {
    const late = () =>
      new MqttError('ESTORE', `The store was not read within ${this.#socketTimeoutMs} ms (socketTimeoutMs): what publish() took before it is not stored`)
    try {
      await within((this.#restoring ??= this.#restore(durable)), this.#socketTimeoutMs, undefined, late)
      return undefined
    } catch (error) {
      return isMqttError(error) ? error : new MqttError('ESTORE', String(error), { cause: error })
    }
  }

  /** Writes what is pending, waiting at most socketTimeoutMs: a store that never answers must not hold close() for ever. */
  async #flushStore(durable: Durability): Promise<void> {
    // A failed or late write is already told (the journal's failure, the messages left in the store): close() goes on.
    await within(
      durable.journal.flush(),
      this.#socketTimeoutMs,
      undefined,
      () => new MqttError('ETIMEOUT', 'the store did not answer'),
    ).catch(() => {})
  }

  /** One attempt: connect, and on CONNACK decide what to send again. */
  async #attempt(signal: AbortSignal): Promise<boolean> {
    const sessionPresent = await this.#client.connect({ cleanSession: this.#o.cleanSession, signal })
    if (signal.aborted) throw signal.reason
    this.#online(sessionPresent)
    return sessionPresent
  }

  /** The connection loop: receive until the link is lost, reconnect, and again, until close(). */
  async #stayConnected(): Promise<void> {
    const life = this.#life.signal
    let shortLived = 0
    // MQTT 5: redirects followed at once since the last stable connection; brokers naming each other must not make a tight loop.
    let redirects = 0
    let upAt = Date.now()
    while (!life.aborted) {
      const lost = await receiveUntilLost(this.#client, this.#outbox, this.#o.ackTimeoutMs, life)
      if (lost === undefined) return
      const stable = Date.now() - upAt >= this.#o.reconnect.stableAfterMs
      shortLived = stable ? 0 : shortLived + 1
      if (stable) redirects = 0
      // MQTT 5: the broker names another server (0x9C, 0x9D): there at once, a few times in a row; or another connection took the session: back off.
      if (this.#client.redirect(lost) && redirects++ < MAX_QUICK_REDIRECTS) shortLived = 0
      else if (lost.code === 'ESESSIONTAKEN') shortLived = Math.max(shortLived, 1)
      this.#enter('offline')
      this.#emit('disconnect', lost)
      try {
        await reconnect(() => this.#attempt(life), this.#o.reconnect, shortLived, lost, life, this.#hooks)
        upAt = Date.now()
      } catch (error) {
        if (life.aborted) return // closed during the backoff or an attempt
        this.#error(error) // not expected: the next turn tries again
      }
    }
  }

  /** Just connected: decide what to send again, then let the queue flow. */
  #online(sessionPresent: boolean): void {
    this.#enter('online')
    this.#durable?.connected(sessionPresent, this.#client.session.held)
    resume(this.#outbox, this.#subscriptions, this.#client.server, sessionPresent, this.#o.resubscribe)
    const connack = this.#client.connack
    if (connack) this.#emit('connect', sessionPresent, this.#client.server, connack)
    else this.#emit('connect', sessionPresent, this.#client.server)
    this.#sender.kick()
  }

  /**
   * Publishes. Resolves when delivered: QoS 0 written to the socket, QoS 1 on PUBACK, QoS 2 on
   * PUBCOMP, however many outages lie between. What is sent is the payload as it is at this call
   * (it is copied): the caller may reuse or transfer its buffer at once. Rejects only when the
   * queue policy drops the message (EDROPPED, EQUEUEFULL) or the client is closed (ECLOSED); bad
   * arguments reject at once (a detached buffer: EPAYLOAD).
   */
  publish(
    topic: string,
    payload: Payload,
    { qos = 0, retain = false, properties, id }: { qos?: QoS; retain?: boolean; properties?: PublishProperties; id?: string } = {},
  ): Promise<void> {
    return settled((resolve, reject) => {
      const message: Message = {
        topic: topicOf(topic, false, 'publish to'),
        // A view of the caller's bytes for now; below, a copy wherever they are needed later.
        payload: bytesOf(payload, 'publish'),
        qos: qosOf(qos, 'publish'),
        retain,
      }
      if (properties) message.properties = properties
      if (id !== undefined || this.#durable) message.id = id ?? `${(this.#idPrefix ??= hex(crypto.getRandomValues(new Uint8Array(6))))}-${++this.#ids}`
      if (this.#state === 'closed') return reject(closedError())
      const failure = this.#durable?.journal.failure
      if (failure) return reject(failure)
      const online = this.#state === 'online'
      if (!message.qos && !this.#o.queue.keepQos0 && !online) {
        this.#emit('drop', message, 'offline')
        return reject(new MqttError('EDROPPED', `Dropped a QoS 0 message to "${topic}" published while offline (queue.keepQos0 is false)`))
      }
      const outbox = this.#outbox
      const op = outbox.message(message, utf8Length(message.topic) + message.payload.length, resolve, reject)
      // Passing through when nothing holds it back (link, socket, window): the queue bounds only what must wait.
      const passing = online && this.#client.isWritable && !this.#sender.held && outbox.passes(message.qos, this.#window())
      const held = { messages: outbox.queued, bytes: outbox.queuedBytes }
      for (const dropped of outbox.addMessage(op, passing)) {
        this.#emit('drop', dropped.message, 'overflow')
        outbox.settle(dropped, queueError(this.#o.queue, held, dropped, op))
      }
      this.#sender.kick()
      // The bytes as they are at this call, whatever the caller does with its buffer next: a QoS 0
      // message that passed straight to the socket is written already; one that waits, or QoS 1/2
      // (sent again as new if a session is lost), keeps a copy of its own.
      // (A copy made by Uint8Array's constructor: a Node Buffer's slice() is a view of the same memory.)
      if (typeof payload !== 'string' && !(passing && op.handed && !message.qos)) message.payload = new Uint8Array(message.payload)
    })
  }

  /**
   * Subscribes and resolves the QoS the broker granted. The filter is remembered and subscribed
   * again after reconnects where the broker kept no session. A refused subscription (SUBACK 0x80)
   * rejects with ESUBACKFAIL (44) and is not remembered.
   */
  subscribe(topic: string, { qos = 0, ...options }: SubscribeOptions = {}): Promise<QoS> {
    return settled((resolve, reject) => {
      const filter = topicOf(topic, true, 'subscribe to')
      const q = qosOf(qos, 'subscribe')
      if (this.#state === 'closed') return reject(closedError())
      const mqtt5 = Object.values(options).some((value) => value !== undefined) ? options : undefined
      this.#outbox.addControl(this.#outbox.control('subscribe', filter, q, { resolve, reject }, mqtt5))
      this.#sender.kick()
    })
  }

  /** Unsubscribes (and forgets the filter at once); resolves on UNSUBACK. */
  unsubscribe(topic: string, { properties }: { properties?: UnsubscribeProperties } = {}): Promise<void> {
    return settled((resolve, reject) => {
      const filter = topicOf(topic, true, 'unsubscribe from')
      if (this.#state === 'closed') return reject(closedError())
      const op = this.#outbox.control('unsubscribe', filter, 0, { resolve: () => resolve(), reject }, properties && { properties })
      this.#subscriptions.unsubscribed(filter, op.seq)
      this.#outbox.addControl(op)
      this.#sender.kick()
    })
  }

  /**
   * Closes: cancels any backoff wait or connection attempt at once, rejects with ECLOSED what is
   * still queued or in flight, disconnects, and leaves no timer or socket behind; no event fires
   * after it returns. With `flushTimeoutMs`, first waits that long (at most) for the queue and the
   * in-flight messages to drain while connected.
   */
  async close({
    flushTimeoutMs = 0,
    reasonCode,
    properties,
  }: { flushTimeoutMs?: number; reasonCode?: number; properties?: DisconnectProperties } = {}): Promise<void> {
    if (this.#state === 'closed') return this.#loop
    if (flushTimeoutMs > 0 && this.#state === 'online') await this.#outbox.drained(flushTimeoutMs)
    await this.#shutdown(closedError(), reasonCode, properties)
  }

  /** Ends the client for good: every promise rejects with `error`; with a store, what it owes stays in it, committed. */
  async #shutdown(error: MqttError, reasonCode?: number, properties?: DisconnectProperties): Promise<void> {
    if (this.#state === 'closed') return this.#loop
    this.#enter('closed')
    this.#life.abort(error)
    this.#sender.stop()
    const durable = this.#durable
    if (durable?.unread.length) {
      const unstored = await this.#readStore(durable)
      if (unstored) for (const op of [...durable.unread]) this.#outbox.settle(op, unstored)
    }
    this.#outbox.closeAll(error)
    this.#requests?.closeAll(error)
    if (this.#durable) {
      await this.#flushStore(this.#durable)
      // Nothing of this client writes to the store once close() is done: it is its owner's again.
      this.#durable.journal.stop()
    }
    const goodbye =
      reasonCode === undefined && properties === undefined
        ? []
        : [{ ...(reasonCode === undefined ? {} : { reasonCode }), ...(properties && { properties }) }]
    await this.#client.disconnect(...goodbye).catch(() => this.#client.disconnect())
    await this.#loop
  }

  /**
   * MQTT 5: publishes a request with a response topic of this client's own and fresh correlation
   * data, and resolves the first message that comes back with that correlation data (`{ topic,
   * payload, properties }`), or rejects with ETIMEOUT after `timeoutMs` [10000]. Works across
   * reconnects; `close()` rejects what still waits.
   */
  request(topic: string, payload: Payload, options?: RequestOptions): Promise<Response> {
    if (this.#state === 'closed') return Promise.reject(closedError())
    if (!this.#o.mqtt5)
      return Promise.reject(
        new MqttError('EOPTION', 'Cannot request: request/response needs MQTT 5 (protocolVersion: 5)', { operation: 'request' }),
      )
    return this.#requestsOf().request(topic, payload, options)
  }

  /** Request/response, made when first needed: at the first request, or the first message a response could be. */
  #requestsOf(): Requests {
    return (this.#requests ??= new Requests(
      this.#clientId,
      (topic) => this.subscribe(topic, { qos: 1 }),
      (topic, payload, o) => this.publish(topic, payload, o),
    ))
  }

  /**
   * MQTT 5: answers a request: publishes `payload` to the Response Topic of the message whose
   * `info` a `'message'` listener got, with its Correlation Data, at its QoS unless given.
   */
  respond(info: MessageInfo, payload: Payload, { qos, properties }: { qos?: QoS; properties?: PublishProperties } = {}): Promise<void> {
    const { responseTopic, correlationData } = info.properties ?? {}
    if (!responseTopic)
      return Promise.reject(
        new MqttError('EOPTION', 'Cannot respond: the message has no responseTopic (MQTT 5.0 §4.10)', { operation: 'respond' }),
      )
    return this.publish(responseTopic, payload, {
      qos: qos ?? info.qos,
      properties: { ...properties, ...(correlationData && { correlationData }) },
    })
  }
}
