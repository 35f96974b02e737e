import { MqttError, SDELIVERED, SREFUSED, SUNKNOWNPID, STIMEOUT, type ErrorCode } from '@x/errno'
import { encodeAck } from '../codec/ack.js'
import { utf8 } from '../codec/bytes.js'
import { encodeConnect } from '../codec/connect.js'
import { PacketDecoder } from '../codec/decoder.js'
import { DISCONNECT, PINGREQ } from '../codec/empty.js'
import { fromServer } from '../codec/from-server.js'
import type { QoS, ServerPacket, Will } from '../codec/packet.js'
import { encodePublish } from '../codec/publish.js'
import { encodeSubscribe } from '../codec/subscribe.js'
import { topicFilterProblem, topicNameProblem } from '../codec/topic.js'
import { encodeUnsubscribe } from '../codec/unsubscribe.js'
import type { Link } from '../transport/link.js'
import { nodeTransport } from '../transport/node.js'
import { Liveness } from './liveness.js'
import { settingsOf, type ClientOptions, type Settings } from './options.js'
import { Session } from './session.js'

/** Receives each application message, inside `checkMsg()` / `waitMsg()`. */
export type MessageCallback = (topic: string, payload: Uint8Array, retained: boolean, dup: boolean) => void
/** Receives each delivery status (`STIMEOUT`, `SDELIVERED`, `SUNKNOWNPID`, `SREFUSED`). */
export type StatusCallback = (pid: number, status: number) => void
/** Sees every packet `checkMsg()` processes, before the client acts on it. */
export type PacketCallback = (packet: ServerPacket) => void

/** A message payload: bytes, or text sent as UTF-8. */
export type Payload = string | Uint8Array

/** The client's state; it changes only through `#enter()`. */
type State = 'offline' | 'connecting' | 'online' | 'failed'

// Past this many unread packets the socket is paused until checkMsg() catches up, so a flood
// the user does not read costs bounded memory (TCP then slows the broker down).
const INBOX_LIMIT = 1000

const aborted = (): MqttError =>
  new MqttError('ECLOSED', 'Connect aborted: connect() or disconnect() was called before it finished', { operation: 'connect' })

function qosOf(qos: unknown, operation: string): QoS {
  if (qos === 0 || qos === 1 || qos === 2) return qos
  throw new MqttError('EQOS', `Cannot ${operation}: QoS ${String(qos)} does not exist; use 0, 1 or 2 [MQTT-3.3.1-4]`, { operation })
}

function bytesOf(payload: unknown, operation: string): Uint8Array {
  if (typeof payload === 'string') return utf8(payload)
  if (payload instanceof Uint8Array) return payload
  throw new MqttError('EPAYLOAD', `Cannot ${operation}: the payload must be a string or a Uint8Array, not ${typeof payload}`, { operation })
}

function checkTopic(topic: unknown, filter: boolean, operation: string): string {
  const problem = typeof topic !== 'string' ? 'a string is needed' : filter ? topicFilterProblem(topic) : topicNameProblem(topic)
  if (problem) {
    throw new MqttError(filter ? 'EFILTER' : 'ETOPIC', `Cannot ${operation} ${JSON.stringify(topic)}: ${problem}`, {
      topic: String(topic),
      operation,
    })
  }
  return topic as string
}

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
  #failure: MqttError | undefined
  #link: Link | undefined
  #liveness: Liveness | undefined
  #inbox: ServerPacket[] = []
  #wakers = new Set<() => void>()
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
    this.#will = { topic: checkTopic(topic, false, op), payload: bytesOf(payload, op), qos: qosOf(qos, op), retain }
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
    if (o.clientId === '' && !cleanSession) {
      throw new MqttError(
        'ECLIENTID',
        'Cannot connect with an empty clientId and cleanSession false: the broker keeps sessions by client id [MQTT-3.1.3-7]',
        { operation: 'connect' },
      )
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
    try {
      link = await this.#transport(
        { host: o.host, port: o.port, tls: o.tls, timeoutMs: o.socketTimeoutMs },
        {
          onData: (chunk) => {
            if (link && link === this.#link) this.#receive(link, decoder, chunk)
          },
          onClose: (error) => {
            if (link && link === this.#link) this.#fail(error)
          },
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
        this.#fail(new MqttError('ECONTIMEOUT', `No CONNACK within ${o.socketTimeoutMs} ms (socketTimeoutMs)`, { operation: 'connect' }))
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

  /** The first packet arrived: refuse, or go online and resume the session. Runs synchronously
   * on arrival, so packets behind CONNACK in the same chunk find the client online. */
  #accept(packet: ServerPacket): boolean | MqttError {
    if (packet.type !== 'connack')
      return this.#refuse('ECONLENGTH', `Expected CONNACK, the broker sent ${packet.type.toUpperCase()} [MQTT-3.2.0-1]`)
    const { returnCode: rc, sessionPresent } = packet
    if (rc) {
      const code: ErrorCode =
        (['ECONPROTOCOL', 'ECONREJECT', 'ECONUNAVAILABLE', 'ECONCREDENTIALS', 'ECONAUTH'] as const)[rc - 1] ?? 'ECONUNKNOWN'
      return this.#refuse(code, `Connection refused by the broker (CONNACK return code ${rc})`, rc)
    }
    if (sessionPresent && this.#cleanSession) {
      return this.#refuse('ECONLENGTH', 'CONNACK says session present after a clean-session CONNECT [MQTT-3.2.2-1]')
    }
    const o = this.#o
    const session = this.#session
    if (!sessionPresent) session.clear()
    this.#liveness = new Liveness(
      o.keepaliveSec * 1000,
      o.socketTimeoutMs,
      () => this.ping(),
      (reason) => this.#fail(new MqttError('EKEEPALIVE', `The broker stopped answering: ${reason}`)),
    )
    this.#enter('online')
    this.#liveness.start()
    for (const [pid, p] of session.pending) {
      if (p.released) this.#write(encodeAck('pubrel', pid))
      else if (p.packet) {
        const again = p.packet.slice()
        if (p.kind === 'publish') again[0] = (again[0] as number) | 8 // DUP [MQTT-3.3.1-1]
        this.#write(again)
      }
    }
    return sessionPresent
  }

  #refuse(code: ErrorCode, message: string, returnCode?: number): MqttError {
    const error = new MqttError(code, message, { operation: 'connect', ...(returnCode ? { returnCode } : {}) })
    this.#close(error)
    this.#enter('offline')
    return error
  }

  /** Bytes arrived: frame them into packets; the first goes to connect(), the rest to the inbox. */
  #receive(link: Link, decoder: PacketDecoder<ServerPacket>, chunk: Uint8Array): void {
    this.#liveness?.received()
    try {
      for (const packet of decoder.push(chunk)) {
        if (link !== this.#link) return // refused: the rest of the chunk is moot
        const settle = this.#connack
        if (settle) {
          this.#connack = undefined
          settle(this.#accept(packet))
        } else if (packet.type === 'connack') {
          throw new MqttError('ERESPONSE', 'The broker sent a second CONNACK [MQTT-3.2.0-1]')
        } else {
          this.#inbox.push(packet)
        }
      }
    } catch (error) {
      this.#fail(error instanceof MqttError ? error : new MqttError('EUNKNOWN', String(error), { cause: error }))
    }
    if (this.#inbox.length >= INBOX_LIMIT && this.#liveness && !this.#liveness.paused) {
      this.#liveness.paused = true
      link.pause()
    }
    this.#wake()
  }

  /** The link broke: close it, keep the error for the next call, and wake any wait. */
  #fail(error: MqttError): void {
    if (this.#state !== 'online' && this.#state !== 'connecting') return
    this.#close(error)
    this.#failure = error
    this.#enter('failed')
    this.#wake()
  }

  /** Releases the link and its timers; a connect() still waiting for CONNACK gets `error`. */
  #close(error: MqttError): Link | undefined {
    const link = this.#link
    this.#link = undefined
    this.#liveness?.stop()
    this.#liveness = undefined
    link?.destroy()
    const waiting = this.#connack
    this.#connack = undefined
    waiting?.(error)
    return link
  }

  #enter(state: State): void {
    this.#state = state
    if (state !== 'failed') this.#failure = undefined
  }

  #wake(): void {
    for (const wake of this.#wakers) wake()
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
    throw failure ?? new MqttError('ECONNOT', `Cannot ${operation}: not connected; call connect() first`, { operation })
  }

  /** Writes a packet and waits until the socket takes more, failing the link if it stalls. */
  async #send(bytes: Uint8Array, operation: string): Promise<void> {
    const link = this.#link as Link
    if (this.#write(bytes)) return
    let before = link.buffered
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const drained = await Promise.race([
        link.drain().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(resolve, this.#o.socketTimeoutMs, false))),
      ])
      clearTimeout(timer)
      if (link !== this.#link) {
        throw this.#failure ?? new MqttError('ECONNOT', `Cannot ${operation}: the connection was closed`, { operation })
      }
      if (drained) return
      if (link.buffered >= before) {
        this.#fail(
          new MqttError(
            'EWRITELEN',
            `Cannot ${operation}: the socket accepted no bytes for ${this.#o.socketTimeoutMs} ms (socketTimeoutMs)`,
            { operation },
          ),
        )
        throw this.#failure
      }
      before = link.buffered
    }
  }

  /** Sends a packet that takes a packet id and registers it as pending. */
  async #sendWithPid(kind: 'publish' | 'subscribe' | 'unsubscribe', qos: number, encode: (pid: number) => Uint8Array): Promise<number> {
    const pid = this.#session.nextPid(kind)
    const packet = encode(pid)
    const timeout = this.#o.messageTimeoutMs
    this.#session.pending.set(pid, { kind, qos, packet, released: false, deadline: timeout ? Date.now() + timeout : Infinity })
    await this.#send(packet, kind)
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
    const op = 'publish to'
    checkTopic(topic, false, op)
    const q = qosOf(qos, 'publish')
    const bytes = bytesOf(payload, 'publish')
    this.#ready('publish')
    const packet = { type: 'publish', topic, payload: bytes, qos: q, retain, dup } as const
    if (!q) return void (await this.#send(encodePublish(packet), 'publish'))
    return this.#sendWithPid('publish', q, (pid) => encodePublish({ ...packet, pid }))
  }

  /** Subscribes to a topic filter and resolves its packet id; SUBACK arrives as a status. */
  async subscribe(topic: string, { qos = 0 }: { qos?: QoS } = {}): Promise<number> {
    const filter = checkTopic(topic, true, 'subscribe to')
    const q = qosOf(qos, 'subscribe')
    this.#ready('subscribe')
    return this.#sendWithPid('subscribe', q, (pid) => encodeSubscribe({ type: 'subscribe', pid, subscriptions: [{ filter, qos: q }] }))
  }

  /** Unsubscribes from a topic filter and resolves its packet id; UNSUBACK arrives as a status. */
  async unsubscribe(topic: string): Promise<number> {
    const filter = checkTopic(topic, true, 'unsubscribe from')
    this.#ready('unsubscribe')
    return this.#sendWithPid('unsubscribe', 0, (pid) => encodeUnsubscribe({ type: 'unsubscribe', pid, filters: [filter] }))
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
    if (this.#state !== 'online' && this.#state !== 'failed') this.#ready('check messages')
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
    if (this.#state === 'online' && !this.#inbox.length) {
      const until = Math.min(timeoutMs === undefined ? Infinity : Date.now() + timeoutMs, this.#session.nextDeadline)
      const liveness = this.#liveness as Liveness
      const probing = timeoutMs === undefined
      let timer: ReturnType<typeof setTimeout> | undefined
      let wake = (): void => {}
      if (probing) {
        liveness.probing++
        liveness.arm()
      }
      await new Promise<void>((resolve) => {
        wake = resolve
        this.#wakers.add(wake)
        if (until < Infinity) timer = setTimeout(resolve, Math.max(0, until - Date.now()))
      })
      clearTimeout(timer)
      this.#wakers.delete(wake)
      if (probing) liveness.probing--
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
      if (!(p.qos === 2 && held.has(pid))) this.#onMessage?.(p.topic, p.payload, p.retain, p.dup)
      if (p.qos === 1) this.#write(encodeAck('puback', pid))
      if (p.qos === 2) {
        held.add(pid)
        this.#write(encodeAck('pubrec', pid))
      }
      return
    }
    if (p.type === 'pubrel') {
      held.delete(p.pid)
      this.#write(encodeAck('pubcomp', p.pid))
      return
    }
    if (p.type === 'pingresp' || p.type === 'connack') return
    const entry = pending.get(p.pid)
    if (p.type === 'pubrec') {
      // Answered even for an unknown id, so the broker can finish its side [MQTT-4.3.3-1].
      this.#write(encodeAck('pubrel', p.pid))
      if (entry?.kind === 'publish' && entry.qos === 2) {
        entry.released = true
        entry.packet = undefined
      }
      return
    }
    const expected =
      p.type === 'puback'
        ? entry?.kind === 'publish' && entry.qos === 1
        : p.type === 'pubcomp'
          ? entry?.kind === 'publish' && entry.qos === 2
          : p.type === 'suback'
            ? entry?.kind === 'subscribe'
            : entry?.kind === 'unsubscribe'
    if (!expected) return this.#onStatus?.(p.pid, SUNKNOWNPID)
    pending.delete(p.pid)
    if (p.type === 'suback') {
      if (p.returnCodes.length !== 1) {
        this.#fail(
          new MqttError('ESUBACKUNKNOWN', `SUBACK carries ${p.returnCodes.length} return codes for 1 topic filter [MQTT-3.9.3-1]`, {
            pid: p.pid,
          }),
        )
        return
      }
      return this.#onStatus?.(p.pid, p.returnCodes[0] === 0x80 ? SREFUSED : SDELIVERED)
    }
    this.#onStatus?.(p.pid, SDELIVERED)
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
    this.#wake()
    if (!link) return
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([link.end(), new Promise((resolve) => (timer = setTimeout(resolve, this.#o.socketTimeoutMs)))])
    clearTimeout(timer)
    link.destroy()
  }
}
