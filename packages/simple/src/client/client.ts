import { MqttError, SLOST, STIMEOUT } from '@x/errno'
import { encodeAck } from '../codec/ack.js'
import { encodeConnect } from '../codec/connect.js'
import { PacketDecoder } from '../codec/decoder.js'
import { DISCONNECT, PINGREQ } from '../codec/empty.js'
import { fromServer } from '../codec/from-server.js'
import type { ConnackPacket, PublishPacket, QoS, ServerPacket, Will } from '../codec/packet.js'
import { encodePublish } from '../codec/publish.js'
import { encodeSubscribe } from '../codec/subscribe.js'
import { encodeUnsubscribe } from '../codec/unsubscribe.js'
import type { Link } from '../transport/link.js'
import { nodeTransport } from '../transport/node.js'
import { bytesOf, fail, qosOf, topicOf, type Payload } from './arguments.js'
import { drained, endWithin } from './back-pressure.js'
import { connackOutcome, notConnack } from './handshake.js'
import { Inbox, INBOX_LIMIT } from './inbox.js'
import { react } from './inbound.js'
import { Liveness } from './liveness.js'
import { settingsOf, type ClientOptions, type Settings } from './options.js'
import { Session, type Pending } from './session.js'
import { connOf, OFFLINE, type Conn, type State } from './state.js'

/** Receives each application message, inside `checkMsg()` / `waitMsg()`. */
export type MessageCallback = (topic: string, payload: Uint8Array, retained: boolean, dup: boolean, qos: QoS) => void
/**
 * Receives each delivery status (`STIMEOUT`, `SDELIVERED`, `SUNKNOWNPID`, `SREFUSED`, `SLOST`);
 * `granted` is the SUBACK return code (0, 1, 2 or 0x80) for a SUBACK.
 */
export type StatusCallback = (pid: number, status: number, granted?: number) => void
/**
 * Hears of each PUBLISH from the broker larger than `maxPacketBytes`: skipped unread, but
 * acknowledged, so the broker stops sending it and the link stays up.
 */
export type OversizeCallback = (topic: string, bytes: number, qos: QoS, retained: boolean) => void
/** Sees every packet `checkMsg()` processes, before the client acts on it. */
export type PacketCallback = (packet: ServerPacket) => void

const aborted = (): MqttError => fail('ECLOSED', 'Connect aborted by disconnect() or another connect()', 'connect')

/**
 * A minimal MQTT 3.1.1 client with umqtt.simple2's semantics: callbacks run only inside
 * `checkMsg()` (never waits) and `waitMsg()`; acknowledgements arrive as statuses; failures are
 * numbered MqttErrors.
 */
export class MqttClient {
  readonly #o: Settings
  readonly #transport
  readonly #where: string
  readonly #session = new Session()
  readonly #inbox = new Inbox()
  /** What the client is doing; it changes only through `#enter()`. */
  #state: State = OFFLINE
  /** When the socket was last read: a deadline before it may have passed unseen. */
  #readAt = 0
  /** A pending check, after one round of I/O, of deadlines that passed while nothing was read. */
  #verify: ReturnType<typeof setImmediate> | undefined
  #will: Will | undefined
  #onMessage: MessageCallback | undefined
  #onStatus: StatusCallback | undefined
  #onOversize: OversizeCallback | undefined
  #onPacket: PacketCallback | undefined

  constructor(options: ClientOptions) {
    const o = (this.#o = settingsOf(options))
    this.#transport = options.transport ?? nodeTransport
    this.#where = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`
  }

  /** Whether the client is connected (CONNACK accepted, link not lost). */
  get isConnected(): boolean {
    return this.#state.name === 'online'
  }

  /** Whether a packet handed over now goes to the socket without waiting: connected, and its buffer not full. */
  get isWritable(): boolean {
    const state = this.#state
    return state.name === 'online' && !state.conn.blocked
  }

  setCallback(callback: MessageCallback): void {
    this.#onMessage = callback
  }

  setCallbackStatus(callback: StatusCallback): void {
    this.#onStatus = callback
  }

  setCallbackOversize(callback: OversizeCallback): void {
    this.#onOversize = callback
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
   * [MQTT-4.4.0-1]; without one, their packet ids get `SLOST`. `disconnect()`, another
   * `connect()` or `signal` end a connection still opening at once (ECLOSED, or the signal's reason).
   */
  async connect({ cleanSession = true, signal }: { cleanSession?: boolean; signal?: AbortSignal } = {}): Promise<boolean> {
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
    signal?.throwIfAborted()
    const earlier = this.#leave()
    if (earlier) void endWithin(earlier, o.socketTimeoutMs)
    this.#inbox.clear()
    const conn: Conn = {
      link: undefined,
      decoder: new PacketDecoder(fromServer, o.maxPacketBytes),
      liveness: undefined,
      blocked: false,
      abort: new AbortController(),
      timer: undefined,
    }
    let settle = (_: boolean | MqttError): void => {}
    const answer = new Promise<boolean | MqttError>((resolve) => (settle = resolve))
    this.#enter({ name: 'connecting', conn, cleanSession, settle })
    const stop = (): void => {
      if (connOf(this.#state) === conn) this.#enter(OFFLINE, signal?.reason)
    }
    signal?.addEventListener('abort', stop)
    this.#transport(
      { host: o.host, port: o.port, tls: o.tls, timeoutMs: o.socketTimeoutMs },
      { onData: (chunk) => this.#receive(conn, chunk), onClose: (error) => this.#fail(conn, error) },
      conn.abort.signal,
    ).then(
      (link) => {
        // Superseded while the socket was opening: nobody wants this link.
        if (connOf(this.#state) !== conn) return link.destroy()
        conn.link = link
        // The deadline first: a transport may deliver the CONNACK within the write itself.
        const timeout = fail('ECONTIMEOUT', `No CONNACK from ${this.#where} within ${o.socketTimeoutMs} ms (socketTimeoutMs)`, 'connect')
        conn.timer = setTimeout(() => this.#fail(conn, timeout), o.socketTimeoutMs)
        this.#write(conn, connect)
      },
      (error: unknown) => this.#fail(conn, error instanceof MqttError ? error : fail('ENOCON', String(error), 'connect')),
    )
    const outcome = await answer
    signal?.removeEventListener('abort', stop)
    if (typeof outcome !== 'boolean') throw outcome
    return outcome
  }

  /** Bytes arrived: frame them into packets; the first is CONNACK, the rest go to the inbox. */
  #receive(conn: Conn, chunk: Uint8Array): void {
    const state = this.#state
    if (connOf(state) !== conn) return
    const now = (this.#readAt = Date.now())
    conn.liveness?.received(now)
    try {
      const wrong = state.name === 'connecting' && !conn.decoder.pending ? notConnack(chunk[0] as number, this.#where) : undefined
      if (wrong) throw wrong
      for (const packet of conn.decoder.push(chunk)) {
        const current = this.#state
        if (connOf(current) !== conn) return // refused: the rest of the chunk is moot
        if (current.name === 'connecting') this.#accept(current, packet as ConnackPacket)
        else this.#inbox.push(packet)
      }
    } catch (error) {
      this.#fail(conn, error instanceof MqttError ? error : new MqttError('EUNKNOWN', String(error), { cause: error }))
    }
    const liveness = conn.liveness
    if (this.#inbox.length >= INBOX_LIMIT && liveness && !liveness.paused) {
      liveness.paused = true
      conn.link?.pause()
    }
    // Only a whole packet ends a wait: a chunk of a big one does not (a failure wakes by itself).
    if (this.#inbox.length) this.#inbox.wake()
  }

  /**
   * The first packet: refuse, or go online and resume the session. Runs on arrival, so packets
   * behind CONNACK in the same chunk find the client online.
   */
  #accept(state: Extract<State, { name: 'connecting' }>, p: ConnackPacket): void {
    const conn = state.conn
    // notConnack() checked the first byte, so the first packet is a CONNACK.
    const outcome = connackOutcome(p, state.cleanSession, this.#where)
    if (typeof outcome !== 'boolean') return this.#enter({ name: 'offline', after: outcome }, outcome)
    const o = this.#o
    clearTimeout(conn.timer)
    const timeout = o.messageTimeoutMs
    const again = this.#session.resume(outcome, (pid) => encodeAck('pubrel', pid), timeout ? Date.now() + timeout : Infinity)
    conn.liveness = new Liveness(
      o.keepaliveSec * 1000,
      o.socketTimeoutMs,
      () => this.ping(),
      (reason) => this.#fail(conn, fail('EKEEPALIVE', `The broker stopped answering: ${reason}`)),
    )
    this.#enter({ name: 'online', conn })
    for (const bytes of again) this.#write(conn, bytes)
    state.settle(outcome)
  }

  /** The link broke: release it, and keep the error for the next call (or the connect() under way). */
  #fail(conn: Conn, error: MqttError): void {
    const state = this.#state
    if (connOf(state) !== conn) return
    if (state.name === 'connecting') this.#enter({ name: 'offline', after: error }, error)
    else this.#enter({ name: 'failed', error })
    this.#inbox.wake()
  }

  /**
   * The one place the state changes. Leaving a connection releases it (timers, keepalive, the
   * socket, or the opening under way); leaving 'connecting' for anything but 'online' settles the
   * connect() that waits, with `reason`.
   */
  #enter(next: State, reason: unknown = aborted()): void {
    const prev = this.#state
    this.#state = next
    const conn = connOf(prev)
    if (conn && conn !== connOf(next)) {
      clearTimeout(conn.timer)
      conn.liveness?.stop()
      conn.abort.abort()
      conn.link?.destroy()
    }
    if (prev.name === 'connecting' && next.name !== 'online') {
      prev.settle(reason instanceof MqttError ? reason : fail('ECLOSED', `Connect aborted: ${String(reason)}`, 'connect'))
    }
    if (next.name !== 'online') {
      clearImmediate(this.#verify)
      this.#verify = undefined
    }
  }

  /** Goes offline, sending DISCONNECT first when online; returns the link to end gracefully. */
  #leave(): Link | undefined {
    const state = this.#state
    let link: Link | undefined
    if (state.name === 'online') {
      this.#write(state.conn, DISCONNECT)
      link = state.conn.link
      state.conn.link = undefined
    }
    this.#enter(OFFLINE)
    return link
  }

  #write(conn: Conn, bytes: Uint8Array): void {
    conn.liveness?.sent()
    if (!(conn.link as Link).write(bytes)) conn.blocked = true
  }

  /**
   * The live connection, or the reason there is none: the failure that ended the last one (once:
   * reporting it ends 'failed'), else ECONNOT with that failure as its cause.
   */
  #online(operation: string): Conn {
    const state = this.#state
    if (state.name === 'online') return state.conn
    if (state.name === 'failed') {
      this.#enter({ name: 'offline', after: state.error })
      throw state.error
    }
    const after = state.name === 'offline' ? state.after : undefined
    const why = state.name === 'connecting' ? 'still connecting' : after ? `the connection was lost (${after.message})` : 'not connected'
    throw new MqttError('ECONNOT', `Cannot ${operation}: ${why}`, after ? { operation, cause: after } : { operation })
  }

  /** The live connection once its socket takes more bytes; fails a socket that takes none for socketTimeoutMs. */
  async #room(operation: string): Promise<Conn> {
    let conn = this.#online(operation)
    while (conn.blocked) {
      const link = conn.link as Link
      const before = link.buffered
      const timeout = this.#o.socketTimeoutMs
      const ok = await drained(link, timeout)
      if (connOf(this.#state) === conn) {
        // Progress, not completion, is what counts: a big payload on a slow link is fine.
        if (ok) conn.blocked = false
        else if (link.buffered >= before) {
          this.#fail(conn, fail('EWRITELEN', `Cannot ${operation}: the socket took no bytes for ${timeout} ms (socketTimeoutMs)`, operation))
        }
      }
      conn = this.#online(operation)
    }
    return conn
  }

  /**
   * Sends a packet that takes a packet id, pending until its `ack` arrives. The id is taken and
   * the packet written in one step, so no status can come for it before the caller has it.
   */
  #send(conn: Conn, operation: string, ack: Pending['ack'], encode: (pid: number, dup: boolean) => Uint8Array): number {
    const pid = this.#session.nextPid(operation)
    const timeout = this.#o.messageTimeoutMs
    const again = ack === 'puback' || ack === 'pubcomp' ? () => encode(pid, true) : () => encode(pid, false)
    this.#session.pending.set(pid, { ack, again, deadline: timeout ? Date.now() + timeout : Infinity })
    this.#write(conn, encode(pid, false))
    return pid
  }

  /**
   * Publishes and resolves once the packet is handed to the socket (waiting while its buffer is
   * full): with the packet id for QoS 1 and 2, whose acknowledgement arrives later as a status.
   */
  async publish(
    topic: string,
    payload: Payload,
    { qos = 0, retain = false, dup = false }: { qos?: QoS; retain?: boolean; dup?: boolean } = {},
  ): Promise<number | undefined> {
    const p: PublishPacket = {
      type: 'publish',
      topic: topicOf(topic, false, 'publish to'),
      payload: bytesOf(payload, 'publish'),
      qos: qosOf(qos, 'publish'),
      retain,
      dup,
    }
    const conn = await this.#room('publish')
    if (!p.qos) return void this.#write(conn, encodePublish(p))
    return this.#send(conn, 'publish', p.qos > 1 ? 'pubcomp' : 'puback', (pid, again) =>
      encodePublish({ ...p, pid, dup: p.dup || again }),
    )
  }

  /** Subscribes to a topic filter and resolves its packet id; SUBACK arrives as a status with the granted QoS. */
  async subscribe(topic: string, { qos = 0 }: { qos?: QoS } = {}): Promise<number> {
    const subscription = { filter: topicOf(topic, true, 'subscribe to'), qos: qosOf(qos, 'subscribe') }
    const conn = await this.#room('subscribe')
    return this.#send(conn, 'subscribe', 'suback', (pid) => encodeSubscribe({ type: 'subscribe', pid, subscriptions: [subscription] }))
  }

  /** Unsubscribes from a topic filter and resolves its packet id; UNSUBACK arrives as a status. */
  async unsubscribe(topic: string): Promise<number> {
    const filter = topicOf(topic, true, 'unsubscribe from')
    const conn = await this.#room('unsubscribe')
    return this.#send(conn, 'unsubscribe', 'unsuback', (pid) => encodeUnsubscribe({ type: 'unsubscribe', pid, filters: [filter] }))
  }

  /** Sends PINGREQ; the answer is processed by `checkMsg()`. No answer within socketTimeoutMs is EKEEPALIVE. */
  ping(): void {
    const conn = this.#online('ping')
    this.#write(conn, PINGREQ)
    conn.liveness?.pinged()
  }

  /**
   * Processes every packet already received, runs the callbacks, answers the broker, reports
   * `SLOST` and `STIMEOUT`, and returns how many packets it processed. Never waits: a packet still
   * arriving stays buffered for a later call. After `disconnect()` from inside a callback, nothing
   * more runs.
   */
  checkMsg(): number {
    const state = this.#state
    if (state.name !== 'failed') this.#online('check messages')
    const conn = connOf(state)
    const session = this.#session
    for (const pid of session.lost.splice(0)) if (this.#state === state) this.#onStatus?.(pid, SLOST)
    const batch = this.#inbox.take()
    let done = 0
    try {
      while (done < batch.length && this.#state === state) this.#handle(conn, batch[done++] as ServerPacket)
    } finally {
      // A callback threw: keep what it did not reach for the next call.
      if (done < batch.length && this.#state === state) this.#inbox.putBack(batch.slice(done))
    }
    if (this.#state === state && state.name === 'online') this.#expire()
    const liveness = conn?.liveness
    if (liveness?.paused && this.#inbox.length < INBOX_LIMIT) {
      liveness.paused = false
      conn?.link?.resume()
    }
    if (this.#state.name === 'failed') this.#online('check messages')
    return done
  }

  /** Acts on one received packet: acknowledgement first, then the callback. */
  #handle(conn: Conn | undefined, p: ServerPacket): void {
    this.#onPacket?.(p)
    const r = react(this.#session, p)
    // Acknowledged before the callback runs: in 3.1.1 the broker sends nothing again on this
    // connection, so a callback that throws must not leave the message stuck in flight.
    if (r.reply && conn?.link) this.#write(conn, r.reply)
    if (r.error && conn) return this.#fail(conn, r.error)
    const m = r.message
    if (m?.oversize !== undefined) this.#onOversize?.(m.topic, m.oversize, m.qos, m.retain)
    else if (m) this.#onMessage?.(m.topic, m.payload, m.retain, m.dup, m.qos)
    const s = r.status
    if (s) this.#onStatus?.(s.pid, s.status, s.granted)
  }

  /**
   * Reports STIMEOUT for packet ids past their deadline. A deadline that passed while nothing
   * was read (a busy program) is judged only after one round of I/O, which may bring its ack.
   */
  #expire(): void {
    const session = this.#session
    if (this.#unread()) return this.#verifySoon()
    const state = this.#state
    for (const pid of session.expire(this.#readAt)) if (this.#state === state) this.#onStatus?.(pid, STIMEOUT)
  }

  /** Whether a pending deadline has passed with the socket not read since. */
  #unread(): boolean {
    const due = this.#session.nextDeadline
    return due <= Date.now() && this.#readAt < due
  }

  /** After one round of I/O, counts the socket as read up to now, and wakes any wait. */
  #verifySoon(): void {
    const now = Date.now()
    this.#verify ??= setImmediate(() => {
      this.#verify = undefined
      this.#readAt = Math.max(this.#readAt, now)
      this.#inbox.wake()
    })
  }

  /**
   * Waits until a packet arrives (or `timeoutMs` passes, or a pending packet id reaches its
   * deadline), then does what `checkMsg()` does. Without `timeoutMs` it waits for a packet, but a
   * dead link ends the wait with an error: keepalive, or a probing PINGREQ when keepalive is off.
   */
  async waitMsg(timeoutMs?: number): Promise<number> {
    const state = this.#state
    const session = this.#session
    if (state.name === 'online' && !this.#inbox.length && !session.lost.length) {
      const liveness = state.conn.liveness as Liveness
      const until = Math.min(timeoutMs === undefined ? Infinity : Date.now() + timeoutMs, this.#verify ? Infinity : session.nextDeadline)
      const probing = timeoutMs === undefined ? 1 : 0
      liveness.probing += probing
      liveness.arm()
      // arm() may have found the link dead already (the program was busy): then do not wait.
      if (this.#state === state) await this.#inbox.wait(until - Date.now())
      // Woken at a deadline: let one round of I/O read what the socket holds before judging it.
      if (this.#state === state && !this.#inbox.length && this.#unread()) {
        this.#verifySoon()
        await this.#inbox.wait(Infinity)
      }
      liveness.probing -= probing
    }
    return this.checkMsg()
  }

  /**
   * Sends DISCONNECT (so the broker drops the last will) and closes the connection. Idempotent.
   * From then on no callback runs; a connect() still opening rejects with ECLOSED. Pending packet
   * ids are kept for a later `connect({ cleanSession: false })`.
   */
  async disconnect(): Promise<void> {
    const link = this.#leave()
    this.#inbox.clear()
    this.#inbox.wake()
    if (link) await endWithin(link, this.#o.socketTimeoutMs)
  }
}
