/**
 * The broker side of robust's unit tests. RobustClient runs over the real @x/simple MqttClient,
 * whose transport is in memory: this broker reads every packet the client writes (`wire`) and
 * answers as the test scripts it. So robust is tested against simple as it is, and nothing here
 * re-implements simple; the tests play only the broker and the network.
 *
 * - Connections: `script()` the outcome of the next connection attempts (a CONNACK with or
 *   without session, a CONNACK refusal, a network error, or 'hold' until `answerConnect()`).
 * - Acknowledgements: `ack(pid)` (or `autoAck`), `suback()`, `receive()` any packet, `message()`
 *   a PUBLISH; PINGREQ is always answered.
 * - Faults: `drop()` the link; `holdWrites` makes the socket report a full buffer and keep what
 *   the client writes until `releaseWrites()`.
 * - The client's calls, seen through a thin spy: `connects`, `disconnects`, `waits`.
 */
import {
  MqttClient,
  MqttError,
  fromClient,
  PacketDecoder,
  type AckPacket,
  type ClientOptions,
  type QoS,
  type ServerPacket,
} from '@x/simple'
import type { SimpleClient } from '../../src/index.js'
import { MemoryConnection } from '@x/test-support/memory-transport.js'
import { realSetImmediate } from '@x/test-support/wait.js'

/** One packet the broker read, with the connection number it came on (1 = first) and whether it was a resend of an earlier one. */
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

/** What a connection attempt meets: a CONNACK (sessionPresent), an error (a CONNACK refusal when it has a returnCode, else the network's), or 'hold'. */
export type ConnectOutcome = { sessionPresent: boolean } | { error: MqttError } | 'hold'

const REFUSALS = ['ECONPROTOCOL', 'ECONREJECT', 'ECONUNAVAILABLE', 'ECONCREDENTIALS', 'ECONAUTH'] as const

/** A CONNACK refusal (return code 1..5): the client turns it into errno 21..25. */
export function refusal(returnCode: 1 | 2 | 3 | 4 | 5): MqttError {
  return new MqttError(REFUSALS[returnCode - 1] as (typeof REFUSALS)[number], `Connection refused: CONNACK return code ${returnCode}`, {
    operation: 'connect',
    returnCode,
  })
}

/** A network failure, e.g. ECONNREFUSED (nothing listens) or ECONCLOSE (closed by the broker). */
export function linkError(code: 'ECONNREFUSED' | 'ECONCLOSE' | 'EKEEPALIVE' | 'ESOCKETTIMEOUT' | 'ECONTIMEOUT' = 'ECONCLOSE'): MqttError {
  return new MqttError(code, `Scripted link failure (${code})`)
}

const text = new TextDecoder()

/** A packet id the client sent that the broker has not acknowledged yet. */
type Held = Extract<Wire, { type: 'publish' | 'subscribe' | 'unsubscribe' }>

export class ScriptedBroker {
  /** The options RobustClient built for the simple client. */
  options: ClientOptions | undefined
  /** Every packet read, in order (CONNECT and PINGREQ left out). */
  readonly wire: Wire[] = []
  /** Every connect() call of the simple client, with its cleanSession flag. */
  readonly connects: Array<{ cleanSession: boolean }> = []
  disconnects = 0
  waits = 0
  /** Answer each PUBLISH/SUBSCRIBE/UNSUBSCRIBE by itself, a macrotask after it was read. */
  autoAck = false
  /** The SUBACK return code for a filter (0x80 refuses); the requested QoS by default. */
  grant: (filter: string, qos: QoS) => number = (_filter, qos) => qos
  /** What a connection attempt meets once the script is empty. */
  defaultOutcome: ConnectOutcome = { sessionPresent: false }
  #holdWrites = false
  #held: Uint8Array[] = []
  #script: ConnectOutcome[] = []
  /** The connection being opened or open, and its number. */
  #conn: MemoryConnection | undefined
  #link = 0
  #connections = 0
  #waiting: ConnectOutcome | undefined
  readonly #pending = new Map<number, Held>()
  /** QoS 2 packet ids the broker answered with PUBREC, by the link it did so on. */
  readonly #pubrecOn = new Map<number, number>()
  #inboundPid = 0

  /** The simple client for RobustClient's `createClient`: the real one, over this broker, behind a counting spy. */
  readonly createClient = (options: ClientOptions): SimpleClient => {
    this.options = options
    const client = new MqttClient({ ...options, transport: (_target, handlers) => this.#open(handlers) })
    const connect = client.connect.bind(client)
    const disconnect = client.disconnect.bind(client)
    const waitMsg = client.waitMsg.bind(client)
    return Object.assign(client, {
      connect: (o: Parameters<MqttClient['connect']>[0] = {}) => {
        this.connects.push({ cleanSession: o.cleanSession ?? true })
        return connect(o)
      },
      disconnect: () => {
        this.disconnects++
        return disconnect()
      },
      waitMsg: (timeoutMs?: number) => {
        this.waits++
        return waitMsg(timeoutMs)
      },
    })
  }

  // ---- the test's side ----

  /** Scripts the outcome of the next connection attempts, in order. */
  script(...outcomes: ConnectOutcome[]): this {
    this.#script.push(...outcomes)
    return this
  }

  /** Whether a connection attempt waits for `answerConnect()`. */
  get connectPending(): boolean {
    return this.#waiting !== undefined
  }

  /** Answers the attempt a 'hold' outcome left waiting. */
  answerConnect(outcome: { sessionPresent: boolean } | { error: MqttError }): void {
    if (!this.#waiting || !this.#conn) throw new Error('no connection attempt is waiting for an answer')
    this.#waiting = undefined
    this.#answer(this.#conn, outcome)
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#connections
  }

  /** The link breaks (or the attempt under way fails) with `error`. */
  drop(error: MqttError = linkError('ECONCLOSE')): void {
    const conn = this.#conn
    this.#conn = undefined
    this.#waiting = undefined
    if (conn && !conn.closed) conn.drop(error)
  }

  /** Packets to the client, on the current link. */
  receive(...packets: ServerPacket[]): void {
    const conn = this.#conn
    if (!conn || conn.closed) throw new Error('no link: nothing can arrive')
    for (const p of packets) {
      if (p.type === 'pubrec') this.#pubrecOn.set(p.pid, this.#link)
      if (p.type === 'pubcomp') this.#pubrecOn.delete(p.pid)
      conn.send(p)
    }
  }

  /** A PUBLISH to the client (QoS 1/2 get a fresh pid unless given); returns its pid. */
  message(
    topic: string,
    payload: string,
    { qos = 0, retain = false, dup = false, pid }: { qos?: QoS; retain?: boolean; dup?: boolean; pid?: number } = {},
  ): number | undefined {
    const id = qos ? (pid ?? ++this.#inboundPid) : undefined
    const bytes = new TextEncoder().encode(payload)
    this.receive({ type: 'publish', topic, payload: bytes, qos, retain, dup, ...(id === undefined ? {} : { pid: id }) })
    return id
  }

  /** The acknowledgement a pid the client sent waits for: PUBACK; PUBREC then PUBCOMP; SUBACK (with `grant`); UNSUBACK. */
  ack(pid: number): void {
    const held = this.#pending.get(pid)
    if (!held) throw new Error(`pid ${pid} is not pending: nothing to acknowledge`)
    this.#pending.delete(pid)
    if (held.type === 'subscribe') this.receive({ type: 'suback', pid, returnCodes: [this.grant(held.filter, held.qos)] })
    else if (held.type === 'unsubscribe') this.receive({ type: 'unsuback', pid })
    else if (held.qos === 1) this.receive({ type: 'puback', pid })
    else if (this.#pubrecOn.has(pid)) this.receive({ type: 'pubcomp', pid })
    else this.receive({ type: 'pubrec', pid }, { type: 'pubcomp', pid })
  }

  /** SUBACK with a given return code (0x80 refuses). */
  suback(pid: number, returnCode: number): void {
    this.#pending.delete(pid)
    this.receive({ type: 'suback', pid, returnCodes: [returnCode] })
  }

  /** While true, the socket reports a full buffer and keeps what the client writes: back-pressure. */
  get holdWrites(): boolean {
    return this.#holdWrites
  }

  set holdWrites(hold: boolean) {
    this.#holdWrites = hold
    if (this.#conn) this.#conn.full = hold
  }

  /** Writes kept back by `holdWrites`. */
  get heldWrites(): number {
    return this.#held.length
  }

  /** Lets the kept writes through and the socket drain. */
  releaseWrites(): void {
    this.holdWrites = false
    const held = this.#held.splice(0)
    for (const bytes of held) this.#read(bytes)
    this.#conn?.drain()
  }

  /** Pids the client sent that the broker has not acknowledged. */
  get pending(): number[] {
    return [...this.#pending.keys()]
  }

  /** Robust's own publish/subscribe/unsubscribe calls that reached the broker, in order (not resends). */
  get calls(): Wire[] {
    return this.wire.filter((w) => !w.resent && (w.type === 'publish' || w.type === 'subscribe' || w.type === 'unsubscribe'))
  }

  /** PUBLISH packets read (calls and resends). */
  get publishes(): PublishWire[] {
    return this.wire.filter((w): w is PublishWire => w.type === 'publish')
  }

  // ---- the broker ----

  #decoder = new PacketDecoder(fromClient)

  async #open(handlers: { onData(chunk: Uint8Array): void; onClose(error: MqttError): void }) {
    const outcome = this.#script.shift() ?? this.defaultOutcome
    if (outcome !== 'hold' && 'error' in outcome && outcome.error.returnCode === undefined) throw outcome.error
    const conn = new MemoryConnection(handlers.onData, handlers.onClose)
    this.#conn = conn
    this.#decoder = new PacketDecoder(fromClient)
    conn.full = this.#holdWrites
    const write = conn.link.write
    conn.link.write = (bytes) => {
      if (conn.closed) return false
      if (this.#holdWrites) {
        this.#held.push(bytes.slice())
        return false
      }
      const ok = write(bytes)
      this.#read(bytes)
      return ok
    }
    this.#onConnect = (): void => {
      if (outcome === 'hold') this.#waiting = outcome
      else this.#later(conn, () => this.#answer(conn, outcome))
    }
    return conn.link
  }

  #onConnect: () => void = () => {}

  /** Answers CONNECT: a CONNACK, a refusal, or the link dropped with a network error. */
  #answer(conn: MemoryConnection, outcome: { sessionPresent: boolean } | { error: MqttError }): void {
    if (conn.closed) return
    if ('error' in outcome) {
      if (outcome.error.returnCode === undefined) return conn.drop(outcome.error)
      return conn.send({ type: 'connack', sessionPresent: false, returnCode: outcome.error.returnCode })
    }
    this.#link = ++this.#connections
    if (!outcome.sessionPresent) {
      // The broker lost the session too.
      this.#pending.clear()
      this.#pubrecOn.clear()
    }
    conn.send({ type: 'connack', sessionPresent: outcome.sessionPresent, returnCode: 0 })
  }

  /** Runs `reaction` a microtask later, as the far end of a socket would, unless the link is gone by then. */
  #later(conn: MemoryConnection, reaction: () => void): void {
    queueMicrotask(() => conn.closed || reaction())
  }

  /** Reads what the client wrote, as a broker does. */
  #read(bytes: Uint8Array): void {
    const conn = this.#conn
    if (!conn) return
    for (const p of this.#decoder.push(bytes)) {
      const link = this.#link
      if (p.type === 'connect') this.#onConnect()
      else if (p.type === 'pingreq') this.#later(conn, () => conn.send({ type: 'pingresp' }))
      else if (p.type === 'disconnect') this.wire.push({ type: 'disconnect', link, resent: false })
      else if (p.type === 'publish') {
        const resent = p.dup
        const w: PublishWire = {
          type: 'publish',
          topic: p.topic,
          payload: text.decode(p.payload),
          qos: p.qos,
          retain: p.retain,
          dup: p.dup,
          pid: p.pid,
          link,
          resent,
        }
        this.wire.push(w)
        if (p.pid !== undefined) this.#hold(conn, p.pid, w)
      } else if (p.type === 'subscribe') {
        const s = p.subscriptions[0] as { filter: string; qos: QoS }
        const w = { type: 'subscribe', filter: s.filter, qos: s.qos, pid: p.pid, link, resent: this.#pending.has(p.pid) } as const
        this.wire.push(w)
        this.#hold(conn, p.pid, w)
      } else if (p.type === 'unsubscribe') {
        const w = { type: 'unsubscribe', filter: p.filters[0] as string, pid: p.pid, link, resent: this.#pending.has(p.pid) } as const
        this.wire.push(w)
        this.#hold(conn, p.pid, w)
      } else {
        // PUBACK, PUBREC, PUBREL, PUBCOMP: a PUBREL answering a PUBREC of an earlier link is a resend.
        const ack = p as AckPacket<'puback' | 'pubrec' | 'pubrel' | 'pubcomp'>
        const on = this.#pubrecOn.get(ack.pid)
        this.wire.push({ type: ack.type, pid: ack.pid, link, resent: ack.type === 'pubrel' && on !== undefined && on !== link })
      }
    }
  }

  #hold(conn: MemoryConnection, pid: number, packet: Held): void {
    this.#pending.set(pid, packet)
    if (!this.autoAck) return
    realSetImmediate(() => {
      if (this.#conn === conn && !conn.closed && this.#pending.get(pid) === packet) this.ack(pid)
    })
  }
}
