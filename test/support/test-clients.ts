/**
 * MqttClients for integration tests: each records what its callbacks receive (messages with
 * their QoS, delivery statuses, every packet processed), and a pool disconnects every client it
 * made, so no test file leaves a socket behind (the setup file would fail it).
 */
import { randomBytes } from 'node:crypto'
import { MqttClient, type ClientOptions, type MqttError, type QoS, type ServerPacket } from '@x/simple'
import { withDeadline } from './wait.js'

export interface Received {
  topic: string
  payload: Uint8Array
  /** The payload as UTF-8 text. */
  text: string
  retained: boolean
  dup: boolean
  /** The QoS of the PUBLISH as the broker sent it. */
  qos: QoS
}

const decoder = new TextDecoder()

/**
 * What a recorder of either protocol version keeps (messages and statuses, in order) and the
 * lookups on it; the 3.1.1 and the 5.0 recorders differ only in what one entry holds.
 */
export class Recording<M extends Received, S extends { pid: number }> {
  readonly messages: M[] = []
  readonly statuses: S[] = []

  /** The last status entry reported for `pid`, or undefined. */
  protected lastStatus(pid: number | undefined): S | undefined {
    for (let i = this.statuses.length - 1; i >= 0; i--) {
      const s = this.statuses[i]
      if (s && s.pid === pid) return s
    }
    return undefined
  }

  /** The messages received on `topic`. */
  on(topic: string): M[] {
    return this.messages.filter((m) => m.topic === topic)
  }

  /** The payloads received on `topic`, as text. */
  texts(topic: string): string[] {
    return this.on(topic).map((m) => m.text)
  }
}

/** A client and everything its callbacks saw, in order. */
export class Recorder extends Recording<Received, { pid: number; status: number }> {
  readonly client: MqttClient
  /** Every packet `checkMsg()` processed: its type, packet id (if any) and, for PUBLISH, topic and DUP flag. */
  readonly packets: Array<{ type: ServerPacket['type']; pid: number | undefined; topic?: string; dup?: boolean }> = []

  constructor(readonly options: ClientOptions) {
    super()
    this.client = new MqttClient(options)
    let qos: QoS = 0
    // The packet callback runs just before the message callback of the same PUBLISH.
    this.client.setCallbackPacket((p) => {
      if (p.type === 'publish') {
        qos = p.qos
        this.packets.push({ type: p.type, pid: p.pid, topic: p.topic, dup: p.dup })
      } else {
        this.packets.push({ type: p.type, pid: 'pid' in p ? p.pid : undefined })
      }
    })
    this.client.setCallback((topic, payload, retained, dup) => {
      this.messages.push({ topic, payload, text: decoder.decode(payload), retained, dup, qos })
    })
    this.client.setCallbackStatus((pid, status) => this.statuses.push({ pid, status }))
  }

  /** The last status reported for `pid`, or undefined. */
  statusOf(pid: number | undefined): number | undefined {
    return this.lastStatus(pid)?.status
  }
}

/** A recorder of either protocol version: what `pump()` needs. */
export interface HasClient {
  readonly client: MqttClient
}

/**
 * Runs the receive loop of the clients (`waitMsg` with a short timeout, together) until `done()`
 * is true; throws after `timeoutMs`, or as soon as a client's loop throws.
 */
export async function pump(clients: HasClient | HasClient[], done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const list = Array.isArray(clients) ? clients : [clients]
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await Promise.all(list.map((r) => r.client.waitMsg(20)))
  }
}

/** A name no other test (or earlier run against the same broker) uses. */
export function uid(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`
}

/** Makes clients and disconnects them all at the end. */
export class ClientPool {
  readonly #made = new Set<Recorder>()

  make(options: ClientOptions): Recorder {
    const recorder = new Recorder(options)
    this.#made.add(recorder)
    return recorder
  }

  /** Disconnects every client made so far (each with a deadline) and forgets them. */
  async closeAll(): Promise<void> {
    const all = [...this.#made]
    this.#made.clear()
    await Promise.all(all.map((r) => withDeadline(r.client.disconnect(), 10_000, 'disconnect()')))
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<MqttError> {
  try {
    await promise
  } catch (error) {
    return error as MqttError
  }
  throw new Error('expected a rejection, but it resolved')
}
