/**
 * A scripted broker on a real loopback TCP socket: it decodes what the client sends and writes
 * back exactly the bytes a test chooses, including bytes no real broker would send. With
 * `{ websocket: true }` it speaks MQTT over WebSocket at /mqtt (the `ws` package): each `send()`
 * is one binary frame, and `sendFrame()` sends any frame, a text one included.
 */
import http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws'
import { encode, fromClient, PacketDecoder, type ClientPacket, type Packet } from '@x/simple'

export class FakeConnection {
  readonly received: ClientPacket[] = []
  /** Resolves when the client's socket has closed. */
  readonly closed: Promise<void>
  /** A decoding error of the client's bytes, if any (the client sent something malformed). */
  error: unknown
  /** The WebSocket under the stream, in websocket mode. */
  readonly ws: WebSocket | undefined
  readonly #socket: Duplex
  readonly #decoder = new PacketDecoder(fromClient)
  #waiters: Array<() => void> = []

  constructor(socket: Duplex, ws?: WebSocket) {
    this.#socket = socket
    this.ws = ws
    // A WebSocket's stream closes only once both its sides have ended: the socket's own close is what counts.
    const closer = ws ?? socket
    this.closed = new Promise((resolve) => closer.once('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('data', (chunk) => {
      try {
        for (const p of this.#decoder.push(chunk)) this.received.push(p)
      } catch (error) {
        this.error = error
      }
      for (const wake of this.#waiters.splice(0)) wake()
    })
    closer.once('close', () => {
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }

  get isClosed(): boolean {
    return this.ws ? this.ws.readyState === this.ws.CLOSED : this.#socket.destroyed
  }

  /** Waits (up to `timeoutMs`) until the client has sent a packet of this type; returns the first not yet taken. */
  async next<T extends ClientPacket['type']>(type: T, timeoutMs = 2000): Promise<Extract<ClientPacket, { type: T }>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.received.findIndex((p) => p.type === type)
      if (i >= 0) return this.received.splice(i, 1)[0] as Extract<ClientPacket, { type: T }>
      if (this.isClosed) throw new Error(`connection closed before the client sent ${type}`)
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

  /** Stops reading what the client sends (the stream fills, then ws stops reading the TCP socket), and goes on. */
  pause(): void {
    this.#socket.pause()
  }

  resume(): void {
    this.#socket.resume()
  }

  /** Sends one WebSocket frame as it is (websocket mode): text for a string. */
  sendFrame(data: string | Uint8Array): void {
    if (!this.ws) throw new Error('sendFrame() is for a FakeBroker started with { websocket: true }')
    this.ws.send(data, { binary: typeof data !== 'string' })
  }

  /** Closes the socket abruptly. */
  destroy(): void {
    if (this.ws) this.ws.terminate()
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
  readonly #server: net.Server | http.Server
  readonly #wss: WebSocketServer | undefined
  #waiters: Array<() => void> = []
  port = 0

  private constructor(websocket: boolean) {
    if (!websocket) {
      this.#server = net.createServer((socket) => this.#accept(new FakeConnection(socket)))
      return
    }
    const wss = (this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false }))
    this.#server = http.createServer()
    this.#server.on('upgrade', (request, socket, head) => {
      if (request.url !== '/mqtt') return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
      wss.handleUpgrade(request, socket, head, (ws) => this.#accept(new FakeConnection(createWebSocketStream(ws), ws)))
    })
  }

  static async start({ websocket = false }: { websocket?: boolean } = {}): Promise<FakeBroker> {
    const broker = new FakeBroker(websocket)
    await new Promise<void>((resolve) => broker.#server.listen(0, '127.0.0.1', resolve))
    broker.port = (broker.#server.address() as net.AddressInfo).port
    return broker
  }

  get url(): string {
    return this.#wss ? `ws://127.0.0.1:${this.port}/mqtt` : `mqtt://127.0.0.1:${this.port}`
  }

  #accept(conn: FakeConnection): void {
    this.connections.push(conn)
    for (const wake of this.#waiters.splice(0)) wake()
    void Promise.resolve(this.onConnection(conn)).catch(() => conn.destroy())
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
    this.#wss?.close()
    if ('closeAllConnections' in this.#server) this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
