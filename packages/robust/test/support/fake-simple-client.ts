/**
 * A scripted, in-memory stand-in for @x/simple's MqttClient, as RobustClient sees it (the
 * `SimpleClient` subset). It keeps the real client's semantics (client.ts), so that robust is
 * tested against what it will meet:
 *
 * - `connect()` resolves `sessionPresent`; with a resumed session the client itself sends every
 *   unacknowledged PUBLISH again with DUP (or PUBREL past PUBREC) [MQTT-4.4.0-1]; without one it
 *   forgets them. Outcomes are scripted with `script()`; 'hold' leaves the attempt pending.
 * - `publish()` resolves once written (held while `holdWrites` is on), with the pid for QoS 1/2,
 *   never waiting for the ack; a pid is taken (and pending) before the write.
 * - Callbacks (packet first, then message or status) run only inside `waitMsg()`.
 * - `drop()` is a lost link: the next call throws that error once, then ECONNOT until `connect()`.
 * - `waitMsg(timeoutMs)` waits with setTimeout (real or fake timers), is woken by arrivals, a drop
 *   and `disconnect()`, and clears its timer when it ends: it never hangs and leaves no timer.
 *
 * Everything written goes to `wire` (calls and resends, in order); `calls` is robust's calls.
 */
import {
  MqttError,
  SDELIVERED,
  SREFUSED,
  SUNKNOWNPID,
  bytesOf,
  qosOf,
  topicOf,
  type ClientOptions,
  type MessageCallback,
  type PacketCallback,
  type Payload,
  type QoS,
  type ServerPacket,
  type StatusCallback,
} from '@x/simple'
import type { SimpleClient } from '../../src/index.js'
import { realSetImmediate } from './time.js'

/** One packet the fake wrote, as a broker would have read it. `link` is the connection number (1 = first). */
export type Wire =
  | {
      type: 'publish'
      topic: string
      payload: string
      qos: QoS
      retain: boolean
      dup: boolean
      pid: number | undefined
      link: number
      resent: boolean
    }
  | { type: 'subscribe'; filter: string; qos: QoS; pid: number; link: number; resent: boolean }
  | { type: 'unsubscribe'; filter: string; pid: number; link: number; resent: boolean }
  | { type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'; pid: number; link: number; resent: boolean }
  | { type: 'disconnect'; link: number; resent: false }

export type PublishWire = Extract<Wire, { type: 'publish' }>

/** What a scripted connect() does: resolve sessionPresent, reject with an error, or wait for `answerConnect()`. */
export type ConnectOutcome = { sessionPresent: boolean } | { error: MqttError } | 'hold'

interface Pending {
  ack: 'puback' | 'pubcomp' | 'suback' | 'unsuback'
  /** What to send again on a resumed session; undefined past PUBREC (then PUBREL goes again). */
  packet: Extract<Wire, { type: 'publish' | 'subscribe' | 'unsubscribe' }> | undefined
}

type State = 'offline' | 'connecting' | 'online' | 'failed'

const REFUSALS = ['ECONPROTOCOL', 'ECONREJECT', 'ECONUNAVAILABLE', 'ECONCREDENTIALS', 'ECONAUTH'] as const

/** The MqttError a CONNACK with return code 1..5 gives (errno 21..25), as the real client makes it. */
export function refusal(returnCode: 1 | 2 | 3 | 4 | 5): MqttError {
  return new MqttError(REFUSALS[returnCode - 1] as (typeof REFUSALS)[number], `Connection refused: CONNACK return code ${returnCode}`, {
    operation: 'connect',
    returnCode,
  })
}

/** A network failure, e.g. ECONNREFUSED (nothing listens) or ECONCLOSE (closed by the broker). */
export function linkError(code: 'ECONNREFUSED' | 'ECONCLOSE' | 'EKEEPALIVE' | 'ESOCKETTIMEOUT' | 'ECONTIMEOUT' = 'ECONCLOSE'): MqttError {
  return new MqttError(code, `Fake link failure (${code})`)
}

const notConnected = (operation: string): MqttError => new MqttError('ECONNOT', `Cannot ${operation}: not connected`, { operation })
const aborted = (): MqttError => new MqttError('ECLOSED', 'Connect aborted by another connect() or disconnect()', { operation: 'connect' })
const text = new TextDecoder()

export class FakeSimpleClient implements SimpleClient {
  /** The options RobustClient built for the simple client. */
  readonly options: ClientOptions
  /** Everything written, in order: robust's calls and the client's own resends and acks. */
  readonly wire: Wire[] = []
  /** Every connect() call, with its cleanSession flag. */
  readonly connects: Array<{ cleanSession: boolean }> = []
  /** How many times disconnect() was called. */
  disconnects = 0
  /** How many times waitMsg() was called. */
  waits = 0
  /** Answer each PUBLISH/SUBSCRIBE/UNSUBSCRIBE by itself, a macrotask after it was written. */
  autoAck = false
  /** The SUBACK return code for a filter (0x80 refuses); the requested QoS by default. */
  grant: (filter: string, qos: QoS) => number = (_filter, qos) => qos
  /** What connect() does once the script is empty. */
  defaultOutcome: ConnectOutcome = { sessionPresent: false }
  /** While true, writes wait for `releaseWrites()`: a socket under back-pressure. */
  holdWrites = false
  /** waitMsg() without a timeout waits at most this long (the real one probes a silent link). */
  probeMs = 1000

  #state: State = 'offline'
  #failure: MqttError | undefined
  /** Number of the current connection (1 = first), 0 when there is none. */
  #link = 0
  #connections = 0
  #script: ConnectOutcome[] = []
  #connack: ((result: boolean | MqttError) => void) | undefined
  /** The cleanSession of a connect() left pending by 'hold'. */
  #holdCleanSession = true
  #inbox: ServerPacket[] = []
  #wakers = new Set<() => void>()
  #held: Array<() => void> = []
  #pending = new Map<number, Pending>()
  #inboundHeld = new Set<number>()
  #lastPid = 0
  #inboundPid = 0
  #onMessage: MessageCallback | undefined
  #onStatus: StatusCallback | undefined
  #onPacket: PacketCallback | undefined

  constructor(options: ClientOptions) {
    this.options = options
  }

  // ---- the SimpleClient API ----

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

  async connect({ cleanSession = true }: { cleanSession?: boolean } = {}): Promise<boolean> {
    this.connects.push({ cleanSession })
    if (!(this.options.clientId || cleanSession)) {
      throw new MqttError('ECLIENTID', 'Cannot connect: an empty clientId needs cleanSession true', { operation: 'connect' })
    }
    if (this.#state === 'online') this.#write({ type: 'disconnect', link: this.#link, resent: false })
    this.#abortConnect(aborted())
    this.#link = 0
    this.#inbox = []
    this.#failure = undefined
    this.#state = 'connecting'
    const outcome = this.#script.shift() ?? this.defaultOutcome
    let settle = (_: boolean | MqttError): void => {}
    const answer = new Promise<boolean | MqttError>((resolve) => (settle = resolve))
    this.#connack = settle
    if (outcome !== 'hold') queueMicrotask(() => this.#answer(settle, outcome, cleanSession))
    else this.#holdCleanSession = cleanSession
    const result = await answer
    if (result instanceof MqttError) throw result
    return result
  }

  async publish(
    topic: string,
    payload: Payload,
    { qos = 0, retain = false, dup = false }: { qos?: QoS; retain?: boolean; dup?: boolean } = {},
  ): Promise<number | undefined> {
    const t = topicOf(topic, false, 'publish to')
    const bytes = bytesOf(payload, 'publish')
    const q = qosOf(qos, 'publish')
    this.#ready('publish')
    const pid = q ? this.#nextPid() : undefined
    const packet: PublishWire = {
      type: 'publish',
      topic: t,
      payload: text.decode(bytes),
      qos: q,
      retain,
      dup,
      pid,
      link: this.#link,
      resent: false,
    }
    if (pid !== undefined) this.#pending.set(pid, { ack: q > 1 ? 'pubcomp' : 'puback', packet })
    return this.#send(packet, pid)
  }

  async subscribe(topic: string, { qos = 0 }: { qos?: QoS } = {}): Promise<number> {
    const filter = topicOf(topic, true, 'subscribe to')
    const q = qosOf(qos, 'subscribe')
    this.#ready('subscribe')
    const pid = this.#nextPid()
    const packet = { type: 'subscribe', filter, qos: q, pid, link: this.#link, resent: false } as const
    this.#pending.set(pid, { ack: 'suback', packet })
    return (await this.#send(packet, pid)) as number
  }

  async unsubscribe(topic: string): Promise<number> {
    const filter = topicOf(topic, true, 'unsubscribe from')
    this.#ready('unsubscribe')
    const pid = this.#nextPid()
    const packet = { type: 'unsubscribe', filter, pid, link: this.#link, resent: false } as const
    this.#pending.set(pid, { ack: 'unsuback', packet })
    return (await this.#send(packet, pid)) as number
  }

  async waitMsg(timeoutMs?: number): Promise<number> {
    this.waits++
    if (this.#state === 'online' && !this.#inbox.length) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          this.#wakers.delete(done)
          resolve()
        }
        const timer = setTimeout(done, timeoutMs ?? this.probeMs)
        this.#wakers.add(done)
      })
    }
    return this.checkMsg()
  }

  /** Processes what has arrived, like the real checkMsg(): packet callback first, then message or status. */
  checkMsg(): number {
    if (this.#state !== 'failed') this.#ready('check messages')
    const batch = this.#inbox
    this.#inbox = []
    let done = 0
    try {
      while (done < batch.length) this.#handle(batch[done++] as ServerPacket)
    } finally {
      this.#inbox = batch.slice(done).concat(this.#inbox)
    }
    this.#ready('check messages')
    return done
  }

  async disconnect(): Promise<void> {
    this.disconnects++
    if (this.#state === 'online') this.#write({ type: 'disconnect', link: this.#link, resent: false })
    this.#abortConnect(aborted())
    this.#link = 0
    this.#inbox = []
    this.#failure = undefined
    this.#state = 'offline'
    this.#wake()
  }

  // ---- the test's side: the broker and the network ----

  /** Scripts the outcome of the next connect() calls, in order. */
  script(...outcomes: ConnectOutcome[]): this {
    this.#script.push(...outcomes)
    return this
  }

  /** Answers a connect() left pending by a 'hold' outcome. */
  answerConnect(outcome: { sessionPresent: boolean } | { error: MqttError }): void {
    const settle = this.#connack
    if (!settle) throw new Error('no connect() is waiting for an answer')
    this.#answer(settle, outcome, this.#holdCleanSession)
  }

  /** Whether a connect() is waiting for `answerConnect()`. */
  get connectPending(): boolean {
    return this.#connack !== undefined
  }

  /** The link breaks: the next call throws `error` once, then ECONNOT; a pending connect() rejects with it. */
  drop(error: MqttError = linkError('ECONCLOSE')): void {
    if (this.#state !== 'online' && this.#state !== 'connecting') return
    this.#abortConnect(error)
    this.#link = 0
    this.#failure = error
    this.#state = 'failed'
    this.#wake()
  }

  /** Packets from the broker: processed by the next waitMsg(), which they wake. */
  receive(...packets: ServerPacket[]): void {
    if (this.#state !== 'online') throw new Error(`the fake is ${this.#state}: nothing can arrive`)
    this.#inbox.push(...packets)
    this.#wake()
  }

  /** A PUBLISH from the broker (QoS 1/2 get a fresh pid unless given). */
  message(
    topic: string,
    payload: string,
    { qos = 0, retain = false, dup = false, pid }: { qos?: QoS; retain?: boolean; dup?: boolean; pid?: number } = {},
  ): number | undefined {
    const id = qos ? (pid ?? ++this.#inboundPid) : undefined
    this.receive({
      type: 'publish',
      topic,
      payload: new TextEncoder().encode(payload),
      qos,
      retain,
      dup,
      ...(id === undefined ? {} : { pid: id }),
    })
    return id
  }

  /** The acknowledgement a pending pid waits for (PUBACK, PUBREC then PUBCOMP, SUBACK with `grant`, UNSUBACK). */
  ack(pid: number): void {
    this.receive(...this.#acksFor(pid))
  }

  /** SUBACK with a given return code (0x80 refuses). */
  suback(pid: number, returnCode: number): void {
    this.receive({ type: 'suback', pid, returnCodes: [returnCode] })
  }

  /** Lets held writes finish; a write whose connection is gone fails as the real client's does. */
  releaseWrites(): void {
    for (const release of this.#held.splice(0)) release()
  }

  /** Writes waiting for `releaseWrites()`. */
  get heldWrites(): number {
    return this.#held.length
  }

  /** Pids sent and not yet acknowledged (the client's half of the session). */
  get pending(): number[] {
    return [...this.#pending.keys()]
  }

  /** Robust's own publish/subscribe/unsubscribe calls that reached the wire, in order. */
  get calls(): Wire[] {
    return this.wire.filter((w) => !w.resent && (w.type === 'publish' || w.type === 'subscribe' || w.type === 'unsubscribe'))
  }

  /** PUBLISH packets written (calls and resends). */
  get publishes(): PublishWire[] {
    return this.wire.filter((w): w is PublishWire => w.type === 'publish')
  }

  /** Number of connections made so far. */
  get connections(): number {
    return this.#connections
  }

  // ---- internals ----

  #answer(
    settle: (result: boolean | MqttError) => void,
    outcome: { sessionPresent: boolean } | { error: MqttError },
    cleanSession: boolean,
  ): void {
    if (this.#connack !== settle) return // aborted meanwhile
    this.#connack = undefined
    if ('error' in outcome) {
      this.#state = 'offline'
      return settle(outcome.error)
    }
    const present = outcome.sessionPresent
    if (present && cleanSession) {
      this.#state = 'offline'
      return settle(new MqttError('ECONLENGTH', 'CONNACK session present after a clean session [MQTT-3.2.2-1]'))
    }
    if (!present) {
      this.#pending.clear()
      this.#inboundHeld.clear()
    }
    this.#state = 'online'
    this.#link = ++this.#connections
    for (const [pid, entry] of this.#pending) {
      const again: Wire = entry.packet
        ? entry.packet.type === 'publish'
          ? { ...entry.packet, dup: true, link: this.#link, resent: true }
          : { ...entry.packet, link: this.#link, resent: true }
        : { type: 'pubrel', pid, link: this.#link, resent: true }
      this.#write(again)
      this.#autoAck(pid)
    }
    settle(present)
  }

  #abortConnect(error: MqttError): void {
    const settle = this.#connack
    this.#connack = undefined
    if (settle) {
      this.#state = 'offline'
      settle(error)
    }
  }

  #ready(operation: string): void {
    const failure = this.#failure
    if (this.#state === 'online') return
    if (failure) {
      this.#failure = undefined
      this.#state = 'offline'
    }
    throw failure ?? notConnected(operation)
  }

  #nextPid(): number {
    for (let tries = 0; tries < 65_535; tries++) {
      this.#lastPid = (this.#lastPid % 65_535) + 1
      if (!this.#pending.has(this.#lastPid)) return this.#lastPid
    }
    throw new MqttError('ENOPID', 'All 65,535 packet ids are in flight')
  }

  #write(packet: Wire): void {
    this.wire.push(packet)
  }

  /** Writes; waits while writes are held; then QoS 0 fails if the link went, a pid is returned anyway (the session resends it). */
  async #send(packet: Wire, pid: number | undefined): Promise<number | undefined> {
    this.#write(packet)
    const link = this.#link
    if (this.holdWrites) {
      await new Promise<void>((resolve) => this.#held.push(resolve))
      if (link !== this.#link) {
        if (pid === undefined) throw this.#failure ?? notConnected('publish')
        return pid
      }
    }
    if (pid !== undefined) this.#autoAck(pid)
    return pid
  }

  #autoAck(pid: number): void {
    if (!this.autoAck) return
    const link = this.#link
    realSetImmediate(() => {
      if (this.#link === link && this.#pending.has(pid)) this.ack(pid)
    })
  }

  #acksFor(pid: number): ServerPacket[] {
    const entry = this.#pending.get(pid)
    if (!entry) throw new Error(`pid ${pid} is not pending: nothing to acknowledge`)
    if (entry.ack === 'puback') return [{ type: 'puback', pid }]
    if (entry.ack === 'pubcomp')
      return entry.packet
        ? [
            { type: 'pubrec', pid },
            { type: 'pubcomp', pid },
          ]
        : [{ type: 'pubcomp', pid }]
    if (entry.ack === 'unsuback') return [{ type: 'unsuback', pid }]
    const sub = entry.packet
    const code = sub?.type === 'subscribe' ? this.grant(sub.filter, sub.qos) : 0
    return [{ type: 'suback', pid, returnCodes: [code] }]
  }

  /** One packet, as the real client's #handle does it. */
  #handle(p: ServerPacket): void {
    this.#onPacket?.(p)
    if (p.type === 'publish') {
      const pid = p.pid as number
      if (!this.#inboundHeld.has(pid) || p.qos < 2) this.#onMessage?.(p.topic, p.payload, p.retain, p.dup)
      if (p.qos > 1) this.#inboundHeld.add(pid)
      if (p.qos) this.#write({ type: p.qos > 1 ? 'pubrec' : 'puback', pid, link: this.#link, resent: false })
    } else if (p.type === 'pubrel') {
      this.#inboundHeld.delete(p.pid)
      this.#write({ type: 'pubcomp', pid: p.pid, link: this.#link, resent: false })
    } else if (p.type === 'pubrec') {
      this.#write({ type: 'pubrel', pid: p.pid, link: this.#link, resent: false })
      const entry = this.#pending.get(p.pid)
      if (entry?.ack === 'pubcomp') entry.packet = undefined
    } else if (p.type !== 'pingresp' && p.type !== 'connack') {
      const entry = this.#pending.get(p.pid)
      let status = SDELIVERED
      if (entry?.ack !== p.type) status = SUNKNOWNPID
      else if (p.type === 'suback' && p.returnCodes[0] === 0x80) status = SREFUSED
      if (status !== SUNKNOWNPID) this.#pending.delete(p.pid)
      this.#onStatus?.(p.pid, status)
    }
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake()
  }
}
