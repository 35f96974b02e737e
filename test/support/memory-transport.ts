/**
 * An in-memory Transport: the test plays the broker. Everything the client writes is decoded
 * (as a broker would) into `conn.received`; the test answers with `conn.send()`. No sockets and
 * no timers of its own, so it works under vi.useFakeTimers().
 */
import { MqttError } from '@x/errno'
import { encode, fromClient, PacketDecoder, type ClientPacket, type Link, type Packet, type Transport } from '@x/simple'

export class MemoryConnection {
  /** Packets the client sent, decoded. */
  readonly received: ClientPacket[] = []
  /** Raw bytes the client wrote, chunk by chunk. */
  readonly writes: Uint8Array[] = []
  /** Whether the client closed (destroy or end) the link. */
  closed = false
  /** Whether the client paused reading. */
  paused = false
  /** While true, write() reports a full buffer and `buffered` grows. */
  full = false
  buffered = 0
  readonly #decoder = new PacketDecoder(fromClient)
  readonly #drainWaiters: Array<() => void> = []
  readonly #onData: (chunk: Uint8Array) => void
  readonly #onClose: (error: MqttError) => void
  readonly link: Link

  constructor(onData: (chunk: Uint8Array) => void, onClose: (error: MqttError) => void) {
    this.#onData = onData
    this.#onClose = onClose
    const conn = this
    this.link = {
      write: (bytes) => {
        if (this.closed) return false
        this.writes.push(bytes.slice())
        for (const p of this.#decoder.push(bytes)) this.received.push(p)
        if (this.full) this.buffered += bytes.length
        return !this.full
      },
      drain: () => (this.full && !this.closed ? new Promise((resolve) => this.#drainWaiters.push(resolve)) : Promise.resolve()),
      get buffered() {
        return conn.buffered
      },
      pause: () => {
        this.paused = true
      },
      resume: () => {
        this.paused = false
      },
      end: async () => {
        this.#shut()
      },
      destroy: () => {
        this.#shut()
      },
    }
  }

  #shut(): void {
    this.closed = true
    this.#wakeDrain()
  }

  #wakeDrain(): void {
    for (const wake of this.#drainWaiters.splice(0)) wake()
  }

  /** Sends a packet (or raw bytes) to the client. */
  send(data: Packet | Uint8Array): void {
    if (this.closed) throw new Error('the client closed this connection')
    this.#onData(data instanceof Uint8Array ? data : encode(data))
  }

  /** The broker side goes away, as a socket close would report it. */
  drop(error = new MqttError('ECONCLOSE', 'The connection was closed by the broker')): void {
    this.closed = true
    this.#wakeDrain()
    this.#onClose(error)
  }

  /** Ends back-pressure: the buffer empties and waiting writers go on. */
  drain(): void {
    this.full = false
    this.buffered = 0
    this.#wakeDrain()
  }

  /** The decoded packets of one type the client sent. */
  sent<T extends ClientPacket['type']>(type: T): Array<Extract<ClientPacket, { type: T }>> {
    return this.received.filter((p): p is Extract<ClientPacket, { type: T }> => p.type === type)
  }
}

/** A transport whose connections live in memory; `refuse` makes the next open fail. */
export class MemoryBroker {
  readonly connections: MemoryConnection[] = []
  refuse: MqttError | undefined
  /** Answer CONNECT with this CONNACK automatically; `undefined` leaves it to the test. */
  autoConnack: { sessionPresent: boolean; returnCode: number } | undefined = { sessionPresent: false, returnCode: 0 }

  readonly transport: Transport = async (_target, handlers) => {
    if (this.refuse) throw this.refuse
    const conn = new MemoryConnection(handlers.onData, handlers.onClose)
    this.connections.push(conn)
    const link = conn.link
    const write = link.write
    // Answer CONNECT on the next microtask, as a broker on the other end of a socket would.
    link.write = (bytes) => {
      const before = conn.received.length
      const ok = write(bytes)
      const connack = this.autoConnack
      if (connack && conn.received.slice(before).some((p) => p.type === 'connect')) {
        queueMicrotask(() => conn.closed || conn.send({ type: 'connack', ...connack }))
      }
      return ok
    }
    return link
  }

  /** The newest connection. */
  get last(): MemoryConnection {
    const conn = this.connections.at(-1)
    if (!conn) throw new Error('no connection yet')
    return conn
  }
}
