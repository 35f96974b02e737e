import { MqttError, SDELIVERED, SREFUSED, SUNKNOWNPID, STIMEOUT, type ErrorCode } from '@x/errno'
import { encodeAck } from '../codec/ack.js'
import { encodeConnect } from '../codec/connect.js'
import { PacketDecoder } from '../codec/decoder.js'
import { DISCONNECT, PINGREQ } from '../codec/empty.js'
import { fromServer } from '../codec/from-server.js'
import type { QoS, ServerPacket, Will } from '../codec/packet.js'
import type { Payload } from './arguments.js'
import { encodePublish } from '../codec/publish.js'
import { encodeSubscribe } from '../codec/subscribe.js'
import { encodeUnsubscribe } from '../codec/unsubscribe.js'
import type { Link } from '../transport/link.js'
import { nodeTransport } from '../transport/node.js'
import { Liveness } from './liveness.js'
import { bytesOf, fail, qosOf, topicOf } from './arguments.js'
import { settingsOf, type ClientOptions, type Settings } from './options.js'
import { Session, type Pending } from './session.js'

/** Receives each application message, inside `checkMsg()` / `waitMsg()`. */
export type MessageCallback = (topic: string, payload: Uint8Array, retained: boolean, dup: boolean) => void
/** Receives each delivery status (`STIMEOUT`, `SDELIVERED`, `SUNKNOWNPID`, `SREFUSED`). */
export type StatusCallback = (pid: number, status: number) => void
/** Sees every packet `checkMsg()` processes, before the client acts on it. */
export type PacketCallback = (packet: ServerPacket) => void

/** The client's state; it changes only through `#enter()`. */
type State = 'offline' | 'connecting' | 'online' | 'failed'

// Past this many unread packets the socket is paused until checkMsg() catches up, so a flood
// the user does not read costs bounded memory (TCP then slows the broker down).
const INBOX_LIMIT = 1000

const REFUSALS: ErrorCode[] = ['ECONPROTOCOL', 'ECONREJECT', 'ECONUNAVAILABLE', 'ECONCREDENTIALS', 'ECONAUTH']

const aborted = (): MqttError => fail('ECLOSED', 'Connect aborted by another connect() or disconnect()', 'connect')

/**
 * A minimal MQTT 3.1.1 client with umqtt.simple2's semantics: callbacks run only inside
 * `checkMsg()` (never waits) and `waitMsg()`; acknowledgements arrive as statuses; failures are
 * numbered MqttErrors.
 */
export class MqttClient {
  readonly #o: Settings
  readonly #transport
  readonly #session = new Session()
  #state: State = 'offline'
  /** Why the link broke, until a call reports it (state 'failed'). */
  #failure: MqttError | undefined
  #link: Link | undefined
  #liveness: Liveness | undefined
  /** Packets received and not yet processed by checkMsg(). */
  #inbox: ServerPacket[] = []
  #wakers = new Set<() => void>()
  /** Settles the connect() that awaits CONNACK. */
  #connack: ((result: boolean | MqttError) => void) | undefined
  #cleanSession = true
  #will: Will | undefined
  #onMessage: MessageCallback | undefined
  #onStatus: StatusCallback | undefined
  #onPacket: PacketCallback | undefined

  constructor(options: ClientOptions) {
    this.#o = settingsOf(options)
    this.#transport = options.transport ?? nodeTransport
  }

  /** Whether the client is connected (CONNACK accepted, link not lost). */
  get isConnected(): boolean {
    return this.#state === 'online'
  }

  setCallback(callback: MessageCallback): void {
    this.#onMessage = callback
  }

  setCallbackStatus(callback: StatusCallback): void {
    this.#onStatus = callback
  }

  setCallbackPacket(callback: PacketCallback): void {
    this.#onPacket = callback
  }

  /** Sets the message the broker publishes if this client vanishes without DISCONNECT. Call before `connect()`. */
  setLastWill(topic: string, payload: Payload, { qos = 0, retain = false }: { qos?: QoS; retain?: boolean } = {}): void {
    const op = 'set the last will on'
    this.#will = { topic: topicOf(topic, false, op), payload: bytesOf(payload, op), qos: qosOf(qos, op), retain }
  }

  clearLastWill(): void {
    this.#will = undefined
  }

  /**
   * Connects (closing any earlier connection first) and resolves whether the broker resumed a
   * session. A resumed session gets its unacknowledged packets again (PUBLISH with DUP, PUBREL)
   * [MQTT-4.4.0-1]; without one, the client forgets them too.
   */
  async connect({ cleanSession = true }: { cleanSession?: boolean } = {}): Promise<boolean> {
    const o = this.#o
    if (!(o.clientId || cleanSession)) {
      throw fail('ECLIENTID', 'Cannot connect: an empty clientId needs cleanSession true [MQTT-3.1.3-7]', 'connect')
    }
    const connect = encodeConnect({
      type: 'connect',
      clientId: o.clientId,
      cleanSession,
      keepaliveSec: o.keepaliveSec,
      ...(o.user === undefined ? {} : { username: o.user }),
      ...(o.password === undefined ? {} : { password: bytesOf(o.password, 'connect') }),
      ...(this.#will ? { will: this.#will } : {}),
    })
    if (this.#state === 'online') this.#write(DISCONNECT)
    this.#close(aborted())
    this.#inbox = []
    this.#cleanSession = cleanSession
    this.#enter('connecting')
    let settle = (_: boolean | MqttError): void => {}
    const answer = new Promise<boolean | MqttError>((resolve) => (settle = resolve))
    this.#connack = settle
    const decoder = new PacketDecoder(fromServer, o.maxPacketBytes)
    let link: Link | undefined
    const ours = (): boolean => link !== undefined && link === this.#link
    try {
      link = await this.#transport(
        { host: o.host, port: o.port, tls: o.tls, timeoutMs: o.socketTimeoutMs },
        {
          onData: (chunk) => ours() && this.#receive(link as Link, decoder, chunk),
          onClose: (error) => ours() && this.#fail(error),
        },
      )
    } catch (error) {
      if (this.#connack === settle) {
        this.#connack = undefined
        this.#enter('offline')
      }
      throw error
    }
    if (this.#connack !== settle) {
      // connect() or disconnect() was called while the socket was opening.
      link.destroy()
      throw aborted()
    }
    this.#link = link
    this.#write(connect)
    const timer = setTimeout(() => {
      if (this.#connack === settle)
        this.#fail(fail('ECONTIMEOUT', `No CONNACK within ${o.socketTimeoutMs} ms (socketTimeoutMs)`, 'connect'))
    }, o.socketTimeoutMs)
    const result = await answer
    clearTimeout(timer)
    if (result instanceof MqttError) {
      // Reported here, so not again by the next call.
      if (this.#failure === result) this.#enter('offline')
      throw result
    }
    return result
  }

  /**
   * The first packet arrived: refuse, or go online and resume the session. Runs synchronously on
   * arrival, so packets behind CONNACK in the same chunk find the client online.
   */
  #accept(p: ServerPacket): boolean | MqttError {
    const rc = p.type === 'connack' ? p.returnCode : -1
    const present = p.type === 'connack' && p.sessionPresent
    const refusal =
      rc < 0
        ? fail('ECONLENGTH', `Expected CONNACK, got ${p.type.toUpperCase()} [MQTT-3.2.0-1]`, 'connect')
        : rc
          ? new MqttError(REFUSALS[rc - 1] ?? 'ECONUNKNOWN', `Connection refused: CONNACK return code ${rc}`, {
              operation: 'connect',
              returnCode: rc,
            })
          : present && this.#cleanSession
            ? fail('ECONLENGTH', 'CONNACK session present after a clean session [MQTT-3.2.2-1]', 'connect')
            : undefined
    if (refusal) {
      this.#close(refusal)
      this.#enter('offline')
      return refusal
    }
    const o = this.#o
    const session = this.#session
    if (!present) session.clear()
    this.#liveness = new Liveness(
      o.keepaliveSec * 1000,
      o.socketTimeoutMs,
      () => this.ping(),
      (reason) => this.#fail(fail('EKEEPALIVE', `The broker stopped answering: ${reason}`)),
    )
    this.#enter('online')
    for (const [pid, entry] of session.pending) {
      const again = entry.packet?.slice()
      // DUP on a PUBLISH sent again [MQTT-3.3.1-1]; PUBREL for a QoS 2 message past PUBREC.
      if (again && (again[0] as number) >> 4 === 3) again[0] = (again[0] as number) | 8
      this.#write(again ?? encodeAck('pubrel', pid))
    }
    return present
  }

  /** Bytes arrived: frame them into packets; the first goes to connect(), the rest to the inbox. */
  #receive(link: Link, decoder: PacketDecoder<ServerPacket>, chunk: Uint8Array): void {
    this.#liveness?.received()
    try {
      for (const packet of decoder.push(chunk)) {
        if (link !== this.#link) return // refused: the rest of the chunk is moot
        const settle = this.#connack
        this.#connack = undefined
        if (settle) settle(this.#accept(packet))
        else if (packet.type === 'connack') throw fail('ERESPONSE', 'A second CONNACK [MQTT-3.2.0-1]')
        else this.#inbox.push(packet)
      }
    } catch (error) {
      this.#fail(error instanceof MqttError ? error : new MqttError('EUNKNOWN', String(error), { cause: error }))
    }
    const liveness = this.#liveness
    if (this.#inbox.length >= INBOX_LIMIT && liveness && !liveness.paused) {
      liveness.paused = true
      link.pause()
    }
    // Only a whole packet ends a wait: a chunk of a big one does not (a failure wakes by itself).
    if (this.#inbox.length) for (const wake of this.#wakers) wake()
  }

  /** The link broke: close it, keep the error for the next call, and wake any wait. */
  #fail(error: MqttError): void {
    if (this.#state !== 'online' && this.#state !== 'connecting') return
    this.#close(error)
    this.#failure = error
    this.#enter('failed')
    for (const wake of this.#wakers) wake()
  }

  /** Releases the link and its timers; a connect() still waiting for CONNACK gets `error`. */
  #close(error: MqttError): void {
    this.#liveness?.stop()
    this.#liveness = undefined
    this.#link?.destroy()
    this.#link = undefined
    const settle = this.#connack
    this.#connack = undefined
    settle?.(error)
  }

  #enter(state: State): void {
    this.#state = state
    if (state !== 'failed') this.#failure = undefined
  }

  #write(bytes: Uint8Array): boolean {
    this.#liveness?.sent()
    return this.#link?.write(bytes) ?? false
  }

  /** Throws the failure that ended the last connection (once), or ECONNOT when not connected. */
  #ready(operation: string): void {
    const failure = this.#failure
    if (this.#state === 'online') return
    if (failure) this.#enter('offline')
    throw failure ?? fail('ECONNOT', `Cannot ${operation}: not connected`, operation)
  }

  /** Writes a packet and waits until the socket takes more, failing the link if it stalls. */
  async #send(bytes: Uint8Array, operation: string): Promise<void> {
    const link = this.#link as Link
    let before = Infinity
    const timeout = this.#o.socketTimeoutMs
    for (let ok = this.#write(bytes); !ok;) {
      // Progress, not completion, is what counts: a big payload on a slow link is fine.
      if (link === this.#link && link.buffered >= before) {
        this.#fail(fail('EWRITELEN', `Cannot ${operation}: the socket took no bytes for ${timeout} ms (socketTimeoutMs)`, operation))
      }
      if (link !== this.#link) throw this.#failure ?? fail('ECONNOT', `Cannot ${operation}: the connection closed`, operation)
      before = link.buffered
      let timer
      ok = await Promise.race([
        link.drain().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeout, false))),
      ])
      clearTimeout(timer)
      ok &&= link === this.#link
    }
  }

  /**
   * Sends a packet that takes a packet id, pending until the `ack` packet arrives. Once written it
   * belongs to the session: if the link fails while waiting for the socket to drain, the pid is
   * still returned (the packet is sent again when the session resumes) and the failure surfaces
   * at the next call, as any link failure does.
   */
  async #sendWithPid(operation: string, ack: Pending['ack'], encode: (pid: number) => Uint8Array): Promise<number> {
    const session = this.#session
    const pid = session.nextPid(operation)
    const packet = encode(pid)
    const timeout = this.#o.messageTimeoutMs
    session.pending.set(pid, { ack, packet, deadline: timeout ? Date.now() + timeout : Infinity })
    await this.#send(packet, operation).catch(() => {})
    return pid
  }

  /**
   * Publishes and resolves once the packet is handed to the socket: with the packet id for QoS 1
   * and 2, whose acknowledgement arrives later as a status (`SDELIVERED` or `STIMEOUT`).
   */
  async publish(
    topic: string,
    payload: Payload,
    { qos = 0, retain = false, dup = false }: { qos?: QoS; retain?: boolean; dup?: boolean } = {},
  ): Promise<number | undefined> {
    const p = {
      type: 'publish',
      topic: topicOf(topic, false, 'publish to'),
      payload: bytesOf(payload, 'publish'),
      qos: qosOf(qos, 'publish'),
      retain,
      dup,
    } as const
    this.#ready('publish')
    if (p.qos) return this.#sendWithPid('publish', p.qos > 1 ? 'pubcomp' : 'puback', (pid) => encodePublish({ ...p, pid }))
    await this.#send(encodePublish(p), 'publish')
    return undefined
  }

  /** Subscribes to a topic filter and resolves its packet id; SUBACK arrives as a status. */
  async subscribe(topic: string, { qos = 0 }: { qos?: QoS } = {}): Promise<number> {
    const subscription = { filter: topicOf(topic, true, 'subscribe to'), qos: qosOf(qos, 'subscribe') }
    this.#ready('subscribe')
    return this.#sendWithPid('subscribe', 'suback', (pid) => encodeSubscribe({ type: 'subscribe', pid, subscriptions: [subscription] }))
  }

  /** Unsubscribes from a topic filter and resolves its packet id; UNSUBACK arrives as a status. */
  async unsubscribe(topic: string): Promise<number> {
    const filter = topicOf(topic, true, 'unsubscribe from')
    this.#ready('unsubscribe')
    return this.#sendWithPid('unsubscribe', 'unsuback', (pid) => encodeUnsubscribe({ type: 'unsubscribe', pid, filters: [filter] }))
  }

  /** Sends PINGREQ; the answer is processed by `checkMsg()`. No answer within socketTimeoutMs is EKEEPALIVE. */
  ping(): void {
    this.#ready('ping')
    this.#write(PINGREQ)
    this.#liveness?.pinged()
  }

  /**
   * Processes every packet already received, runs the callbacks, answers the broker, reports
   * `STIMEOUT` for pending packet ids past their deadline, and returns how many packets it
   * processed. Never waits: a packet still arriving stays buffered for a later call.
   */
  checkMsg(): number {
    if (this.#state !== 'failed') this.#ready('check messages')
    const batch = this.#inbox
    this.#inbox = []
    let done = 0
    try {
      while (done < batch.length) this.#handle(batch[done++] as ServerPacket)
    } finally {
      // A callback threw: keep what it did not reach for the next call.
      if (done < batch.length) this.#inbox = batch.slice(done).concat(this.#inbox)
    }
    for (const pid of this.#session.expire(Date.now())) this.#onStatus?.(pid, STIMEOUT)
    const liveness = this.#liveness
    if (liveness?.paused && this.#inbox.length < INBOX_LIMIT) {
      liveness.paused = false
      this.#link?.resume()
    }
    this.#ready('check messages')
    return done
  }

  /**
   * Waits until a packet arrives (or `timeoutMs` passes, or a pending packet id reaches its
   * deadline), then does what `checkMsg()` does. Without `timeoutMs` it waits for a packet, but a
   * dead link ends the wait with an error: keepalive, or a probing PINGREQ when keepalive is off.
   */
  async waitMsg(timeoutMs?: number): Promise<number> {
    const liveness = this.#liveness
    if (liveness && !this.#inbox.length) {
      const until = Math.min(Date.now() + (timeoutMs ?? Infinity), this.#session.nextDeadline)
      const probing = timeoutMs === undefined ? 1 : 0
      let timer
      let wake = (): void => {}
      liveness.probing += probing
      liveness.arm()
      await new Promise<void>((resolve) => {
        this.#wakers.add((wake = resolve))
        if (until < Infinity) timer = setTimeout(resolve, until - Date.now())
      })
      clearTimeout(timer)
      this.#wakers.delete(wake)
      liveness.probing -= probing
    }
    return this.checkMsg()
  }

  /** Acts on one received packet: callbacks, acknowledgements, statuses. */
  #handle(p: ServerPacket): void {
    this.#onPacket?.(p)
    const { pending, held } = this.#session
    if (p.type === 'publish') {
      const pid = p.pid as number
      // Inbound QoS 2 reaches the callback once: the pid is held until PUBREL [MQTT-4.3.3-2].
      const deliver = p.qos < 2 || !held.has(pid)
      if (p.qos > 1) held.add(pid)
      // Acknowledged before the callback runs: in 3.1.1 the broker sends nothing again on this
      // connection, so a callback that throws must not leave the message stuck in flight.
      if (p.qos) this.#write(encodeAck(p.qos > 1 ? 'pubrec' : 'puback', pid))
      if (deliver) this.#onMessage?.(p.topic, p.payload, p.retain, p.dup)
    } else if (p.type === 'pubrel') {
      held.delete(p.pid)
      this.#write(encodeAck('pubcomp', p.pid))
    } else if (p.type === 'pubrec') {
      // Answered even for an unknown id, so the broker can finish its side [MQTT-4.3.3-1].
      this.#write(encodeAck('pubrel', p.pid))
      const entry = pending.get(p.pid)
      if (entry?.ack === 'pubcomp') entry.packet = undefined
    } else if (p.type !== 'pingresp' && p.type !== 'connack') {
      const entry = pending.get(p.pid)
      let status = SDELIVERED
      if (entry?.ack !== p.type) status = SUNKNOWNPID
      else if (p.type === 'suback') {
        if (p.returnCodes.length !== 1) {
          return this.#fail(
            new MqttError('ESUBACKUNKNOWN', `SUBACK with ${p.returnCodes.length} return codes for 1 filter [MQTT-3.9.3-1]`, { pid: p.pid }),
          )
        }
        if (p.returnCodes[0] === 0x80) status = SREFUSED
      }
      if (status !== SUNKNOWNPID) pending.delete(p.pid)
      this.#onStatus?.(p.pid, status)
    }
  }

  /**
   * Sends DISCONNECT (so the broker drops the last will) and closes the connection. Idempotent.
   * Pending packet ids are kept for a later `connect({ cleanSession: false })`.
   */
  async disconnect(): Promise<void> {
    if (this.#state === 'online') this.#write(DISCONNECT)
    const link = this.#link
    this.#link = undefined
    this.#close(aborted())
    this.#inbox = []
    this.#enter('offline')
    for (const wake of this.#wakers) wake()
    if (!link) return
    let timer
    await Promise.race([link.end(), new Promise((resolve) => (timer = setTimeout(resolve, this.#o.socketTimeoutMs)))])
    clearTimeout(timer)
    link.destroy()
  }
}
