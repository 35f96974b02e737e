import { encodePublish } from '../codec/publish.js'
import type { QoS } from '../codec/packet.js'
import { encodeSubscribe } from '../codec/subscribe.js'
import { encodeUnsubscribe } from '../codec/unsubscribe.js'
import type {
  DisconnectProperties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  WillProperties,
} from '../codec/v5/packet.js'
import { defaultTransport } from '../transport/default.js'
import { bytesOf, fail, qosOf, topicOf, type Payload } from './arguments.js'
import { cutEnding, endLeft } from './ending.js'
import { connect, ping } from './connecting.js'
import {
  createCore,
  leave,
  online,
  write,
  type AckProperties,
  type Connack,
  type Core,
  type MessageCallback,
  type OversizeCallback,
  type PacketCallback,
  type StatusCallback,
} from './core.js'
import { checkMsg, waitMsg } from './delivery.js'
import { settingsOf, type ClientOptions } from './options.js'
import { sendWithPid, whenWritable } from './sending.js'
import type { Session } from './session.js'

export type { AckProperties, Connack, MessageCallback, OversizeCallback, PacketCallback, StatusCallback }

/** Options of `publish()`; `properties` is MQTT 5.0's. */
export interface PublishOptions {
  qos?: QoS
  retain?: boolean
  dup?: boolean
  properties?: PublishProperties
}

/** Options of `subscribe()`; all but `qos` are MQTT 5.0's (MQTT 5.0 §3.8.3.1). */
export interface SubscribeOptions {
  qos?: QoS
  /** Not sent this client's own publishes [MQTT-3.8.3-3]. */
  noLocal?: boolean
  /** Keep the RETAIN flag as published, not cleared for a live message. */
  retainAsPublished?: boolean
  /** 0: retained messages on subscribe; 1: only when the subscription is new; 2: never. */
  retainHandling?: 0 | 1 | 2
  properties?: SubscribeProperties
}

/** Refuses, before a byte is sent, an option of MQTT 5.0 on a client speaking 3.1.1. */
function onlyOnV5(core: Core, operation: string, options: object): void {
  if (core.o.protocolVersion < 5)
    for (const [name, value] of Object.entries(options))
      if (value !== undefined) throw fail('EOPTION', `Cannot ${operation}: ${name} is MQTT 5.0's; set protocolVersion: 5`, operation)
}

/**
 * A minimal MQTT 3.1.1 client with umqtt.simple2's semantics: callbacks run only inside
 * `checkMsg()` (never waits) and `waitMsg()`; acknowledgements arrive as statuses; failures are
 * numbered MqttErrors.
 */
export class MqttClient {
  readonly #core: Core

  constructor(options: ClientOptions) {
    this.#core = createCore(settingsOf(options), options.transport ?? defaultTransport, options.session)
  }

  /** The client's half of the MQTT session: packet ids in flight both ways. See the `session` option. */
  get session(): Session {
    return this.#core.session
  }

  /** MQTT 5: the last CONNACK accepted, `{ sessionPresent, reasonCode, properties }`; `undefined` on 3.1.1 and before. */
  get connack(): Connack | undefined {
    return this.#core.connack
  }

  /** The client identifier: the option's, or on MQTT 5 the one the broker assigned to a client that connected with `''`. */
  get clientId(): string {
    return this.#core.clientId
  }

  /** Whether the client is connected (CONNACK accepted, link not lost). */
  get isConnected(): boolean {
    return this.#core.state.name === 'online'
  }

  /** Whether a packet handed over now goes to the socket without waiting: connected, its buffer not full, nobody waiting. */
  get isWritable(): boolean {
    const core = this.#core
    const state = core.state
    return state.name === 'online' && !state.conn.blocked && !core.waiting.length
  }

  /** Receives each message: `(topic, payload, retained, dup, qos, properties)` (`properties` on MQTT 5 only). */
  setCallback(callback: MessageCallback): void {
    this.#core.onMessage = callback
  }

  /** Receives each final status of a packet id: `(pid, status, code, properties)`; `code` for a SUBACK, and on MQTT 5 for every ack. */
  setCallbackStatus(callback: StatusCallback): void {
    this.#core.onStatus = callback
  }

  /** Hears of each PUBLISH over `maxPacketBytes`, skipped but acknowledged: `(topic, bytes, qos, retained)`. */
  setCallbackOversize(callback: OversizeCallback): void {
    this.#core.onOversize = callback
  }

  /** Sees every packet before the client acts on it (for tracing). */
  setCallbackPacket(callback: PacketCallback): void {
    this.#core.onPacket = callback
  }

  /** Sets the message the broker publishes if this client vanishes without DISCONNECT. Call before `connect()`. */
  setLastWill(
    topic: string,
    payload: Payload,
    { qos = 0, retain = false, properties }: { qos?: QoS; retain?: boolean; properties?: WillProperties } = {},
  ): void {
    const op = 'set the last will on'
    onlyOnV5(this.#core, op, { properties })
    // A copy (a Node Buffer's slice() would be a view): the will goes out at each connect(), and the caller may reuse its buffer before.
    const will = { topic: topicOf(topic, false, op), payload: new Uint8Array(bytesOf(payload, op)), qos: qosOf(qos, op), retain }
    this.#core.will = properties ? { ...will, properties } : will
  }

  clearLastWill(): void {
    this.#core.will = undefined
  }

  /**
   * Connects (closing any earlier connection first) and resolves whether the broker resumed a
   * session. A resumed session gets its unacknowledged packets again (PUBLISH with DUP, PUBREL)
   * [MQTT-4.4.0-1]; without one, their packet ids get `SLOST`. `disconnect()`, another
   * `connect()` or `signal` end a connection still opening at once (ECLOSED, or the signal's reason).
   */
  connect({ cleanSession = true, signal }: { cleanSession?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
    return connect(this.#core, cleanSession, signal)
  }

  /**
   * Publishes and resolves once the packet is handed to the socket (waiting, in line with other
   * calls, while its buffer is full): with the packet id for QoS 1 and 2, whose acknowledgement
   * arrives later as a status. What is sent is the payload as it is at this call: the caller may
   * reuse or transfer its buffer as soon as publish() returns its promise.
   */
  async publish(
    topic: string,
    payload: Payload,
    { qos = 0, retain = false, dup = false, properties }: PublishOptions = {},
  ): Promise<number | undefined> {
    const name = topicOf(topic, false, 'publish to')
    const bytes = bytesOf(payload, 'publish')
    const q = qosOf(qos, 'publish')
    const core = this.#core
    onlyOnV5(core, 'publish', { properties })
    if (core.v5) return core.v5.publish(core, name, bytes, q, retain, dup, properties)
    // Encoded now, so the packet holds the bytes of the call; the packet id goes in when it is sent.
    const packet = encodePublish({ type: 'publish', topic: name, payload: bytes, qos: q, retain, dup }, 0)
    if (!q) return whenWritable(core, 'publish', (conn) => void write(conn, packet))
    const at = packet.length - bytes.length - 2
    return whenWritable(core, 'publish', (conn) =>
      sendWithPid(core, conn, 'publish', q > 1 ? 'pubcomp' : 'puback', (pid) => {
        packet[at] = pid >> 8
        packet[at + 1] = pid & 255
        return packet
      }),
    )
  }

  /** Subscribes to a topic filter and resolves its packet id; SUBACK arrives as a status with the granted QoS. */
  async subscribe(topic: string, { qos = 0, properties, ...options }: SubscribeOptions = {}): Promise<number> {
    const subscription = { filter: topicOf(topic, true, 'subscribe to'), qos: qosOf(qos, 'subscribe') }
    const core = this.#core
    onlyOnV5(core, 'subscribe', { properties, ...options })
    if (core.v5) return core.v5.subscribe(core, { ...options, ...subscription }, properties)
    return whenWritable(core, 'subscribe', (conn) =>
      sendWithPid(core, conn, 'subscribe', 'suback', (pid) => encodeSubscribe({ type: 'subscribe', pid, subscriptions: [subscription] })),
    )
  }

  /** Unsubscribes from a topic filter and resolves its packet id; UNSUBACK arrives as a status. */
  async unsubscribe(topic: string, { properties }: { properties?: UnsubscribeProperties } = {}): Promise<number> {
    const filter = topicOf(topic, true, 'unsubscribe from')
    const core = this.#core
    onlyOnV5(core, 'unsubscribe', { properties })
    if (core.v5) return core.v5.unsubscribe(core, filter, properties)
    return whenWritable(core, 'unsubscribe', (conn) =>
      sendWithPid(core, conn, 'unsubscribe', 'unsuback', (pid) => encodeUnsubscribe({ type: 'unsubscribe', pid, filters: [filter] })),
    )
  }

  /** Sends PINGREQ; the answer is processed by `checkMsg()`. No answer within socketTimeoutMs is EKEEPALIVE. */
  ping(): void {
    ping(this.#core, online(this.#core, 'ping'))
  }

  /**
   * Processes every packet already received, runs the callbacks, answers the broker, reports
   * `SLOST` and `STIMEOUT`, and returns how many packets it processed. Never waits: a packet still
   * arriving stays buffered for a later call. A deadline that passed while the program was too
   * busy to read the socket is judged after one more round of I/O.
   */
  checkMsg(): number {
    return checkMsg(this.#core)
  }

  /**
   * Waits until a packet arrives (or `timeoutMs` passes, or a pending packet id reaches its
   * deadline), then does what `checkMsg()` does. Without `timeoutMs` it waits for a packet, but a
   * dead link ends the wait with an error: keepalive, or a probing PINGREQ when keepalive is off.
   */
  waitMsg(timeoutMs?: number): Promise<number> {
    return waitMsg(this.#core, timeoutMs)
  }

  /**
   * Sends DISCONNECT (so the broker drops the last will) and closes the connection, waiting at
   * most socketTimeoutMs for the broker to close its side. Idempotent; a second call (or one after
   * a `connect()` that left an earlier link ending) cuts any such wait short, so that once it
   * returns no socket or timer is left. From then on no callback runs; a connect() still opening
   * rejects with ECLOSED. Pending packet ids are kept for a later `connect({ cleanSession: false })`.
   * MQTT 5: a `reasonCode` (0x04: publish the will) and `properties` (a new `sessionExpiryInterval`).
   */
  async disconnect({ reasonCode, properties }: { reasonCode?: number; properties?: DisconnectProperties } = {}): Promise<void> {
    const core = this.#core
    onlyOnV5(core, 'disconnect', { reasonCode, properties })
    const goodbye = core.v5?.disconnectPacket(core, reasonCode, properties)
    cutEnding(core)
    const link = leave(core, goodbye)
    if (link) await endLeft(core, link)
  }
}
