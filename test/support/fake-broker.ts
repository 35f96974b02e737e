/**
 * A scripted broker on a real loopback TCP socket: it decodes what the client sends and writes
 * back exactly the bytes a test chooses, including bytes no real broker would send.
 */
import net from 'node:net'
import { encode, fromClient, PacketDecoder, type ClientPacket, type Packet } from '@x/simple'

export class FakeConnection {
  readonly received: ClientPacket[] = []
  /** Resolves when the client's socket has closed. */
  readonly closed: Promise<void>
  /** A decoding error of the client's bytes, if any (the client sent something malformed). */
  error: unknown
  readonly #socket: net.Socket
  readonly #decoder = new PacketDecoder(fromClient)
  #waiters: Array<() => void> = []

  constructor(socket: net.Socket) {
    this.#socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      try {
        for (const p of this.#decoder.push(chunk)) this.received.push(p)
      } catch (error) {
        this.error = error
      }
      for (const wake of this.#waiters.splice(0)) wake()
    })
    socket.once('close', () => {
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }

  get isClosed(): boolean {
    return this.#socket.destroyed
  }

  /** Waits (up to `timeoutMs`) until the client has sent a packet of this type; returns the first not yet taken. */
  async next<T extends ClientPacket['type']>(type: T, timeoutMs = 2000): Promise<Extract<ClientPacket, { type: T }>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.received.findIndex((p) => p.type === type)
      if (i >= 0) return this.received.splice(i, 1)[0] as Extract<ClientPacket, { type: T }>
      if (this.#socket.destroyed) throw new Error(`connection closed before the client sent ${type}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`the client sent no ${type} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Writes a packet, or exact bytes, to the client. */
  send(data: Packet | Uint8Array | number[]): void {
    this.#socket.write(data instanceof Uint8Array ? data : Array.isArray(data) ? Uint8Array.from(data) : encode(data))
  }

  /** Closes the socket abruptly. */
  destroy(): void {
    this.#socket.destroy()
  }
}

export class FakeBroker {
  readonly connections: FakeConnection[] = []
  /** Called for every new connection; by default it answers CONNECT with an accepting CONNACK. */
  onConnection: (conn: FakeConnection) => void | Promise<void> = async (conn) => {
    await conn.next('connect')
    conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
  }
  readonly #server = net.createServer((socket) => {
    const conn = new FakeConnection(socket)
    this.connections.push(conn)
    for (const wake of this.#waiters.splice(0)) wake()
    void Promise.resolve(this.onConnection(conn)).catch(() => conn.destroy())
  })
  #waiters: Array<() => void> = []
  port = 0

  static async start(): Promise<FakeBroker> {
    const broker = new FakeBroker()
    await new Promise<void>((resolve) => broker.#server.listen(0, '127.0.0.1', resolve))
    broker.port = (broker.#server.address() as net.AddressInfo).port
    return broker
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  /** The newest connection, waiting up to `timeoutMs` for the next one if `index` is past the end. */
  async connection(index = this.connections.length - 1, timeoutMs = 2000): Promise<FakeConnection> {
    const deadline = Date.now() + timeoutMs
    while (!this.connections[index]) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no connection #${index} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.connections[index] as FakeConnection
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
