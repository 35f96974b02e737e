/**
 * A scripted broker on a real loopback TCP socket: it decodes what the client sends and writes
 * back exactly the bytes a test chooses, including bytes no real broker would send. With
 * `{ websocket: true }` it speaks MQTT over WebSocket at /mqtt (the `ws` package): each `send()`
 * is one binary frame, and `sendFrame()` sends any frame, a text one included.
 *
 * With `{ protocolVersion: 5 }` it speaks MQTT 5.0: it decodes with the v5 codec and `send()`
 * encodes v5 packets. In both versions each packet received keeps the exact bytes it came in
 * (`bytesOf()`), for tests about what the client puts on the wire.
 */
import http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws'
import {
  encode,
  encodeV5,
  fromClient,
  fromClientV5,
  PacketDecoder,
  PacketDecoderV5,
  type ClientPacket,
  type ClientPacketV5,
  type ConnackPacketV5,
  type Packet,
  type PacketV5,
} from '@x/simple/codec'

export type Version = 4 | 5
/** What the client sends, as decoded in each version. */
export type ClientPacketOf<V extends Version> = V extends 5 ? ClientPacketV5 : ClientPacket
/** What `send()` encodes in each version. */
export type PacketOf<V extends Version> = V extends 5 ? PacketV5 : Packet

/**
 * Cuts a byte stream at packet boundaries (type byte, Remaining Length, body) without judging the
 * packets, so that each one reaches the decoder, and the record, alone and whole.
 */
class Framer {
  #chunks: Uint8Array[] = []
  #have = 0
  #need = -1 // the whole size of the packet being gathered, once its header is in; -1 before

  push(chunk: Uint8Array): Uint8Array[] {
    this.#chunks.push(chunk)
    this.#have += chunk.length
    const frames: Uint8Array[] = []
    for (;;) {
      if (this.#need < 0) this.#need = this.#sizeOfNext()
      if (this.#need < 0 || this.#have < this.#need) return frames
      const all = this.#joined()
      frames.push(all.slice(0, this.#need))
      this.#chunks = [all.subarray(this.#need)]
      this.#have -= this.#need
      this.#need = -1
    }
  }

  // The next packet's size from its header, -1 while the header is incomplete. A Remaining Length
  // longer than 4 bytes is the decoder's to refuse: it then gets everything that came.
  #sizeOfNext(): number {
    const head = this.#joined()
    let length = 0
    for (let i = 1; i < head.length; i++) {
      const byte = head[i] as number
      length += (byte & 0x7f) * 2 ** (7 * (i - 1))
      if (!(byte & 0x80)) return i + 1 + length
      if (i === 5) return head.length
    }
    return -1
  }

  // Gathered only when a packet is whole or its header is wanted, so a large packet is copied once.
  #joined(): Uint8Array {
    if (this.#chunks.length !== 1) {
      const all = new Uint8Array(this.#have)
      let at = 0
      for (const c of this.#chunks) all.set(c, (at += c.length) - c.length)
      this.#chunks = [all]
    }
    return this.#chunks[0] as Uint8Array
  }
}

export class FakeConnection<V extends Version = 4> {
  readonly received: Array<ClientPacketOf<V>> = []
  /** Every packet received, in order, also those `next()` has taken. */
  readonly log: Array<ClientPacketOf<V>> = []
  /** How many bytes the client has sent in all. */
  byteCount = 0
  /** Resolves when the client's socket has closed. */
  readonly closed: Promise<void>
  /** A decoding error of the client's bytes, if any (the client sent something malformed). */
  error: unknown
  /** The WebSocket under the stream, in websocket mode. */
  readonly ws: WebSocket | undefined
  readonly protocolVersion: V
  readonly #socket: Duplex
  readonly #decoder: PacketDecoder<ClientPacketOf<V>>
  readonly #framer = new Framer()
  readonly #bytes = new WeakMap<object, Uint8Array>()
  #waiters: Array<() => void> = []

  constructor(socket: Duplex, ws?: WebSocket, protocolVersion: V = 4 as V) {
    this.#socket = socket
    this.ws = ws
    this.protocolVersion = protocolVersion
    this.#decoder = (protocolVersion === 5 ? new PacketDecoderV5(fromClientV5) : new PacketDecoder(fromClient)) as PacketDecoder<
      ClientPacketOf<V>
    >
    // A WebSocket's stream closes only once both its sides have ended: the socket's own close is what counts.
    const closer = ws ?? socket
    this.closed = new Promise((resolve) => closer.once('close', () => resolve()))
    socket.on('error', () => {})
    socket.on('data', (chunk: Uint8Array) => {
      this.byteCount += chunk.length
      try {
        for (const frame of this.#framer.push(chunk)) {
          for (const p of this.#decoder.push(frame)) {
            this.#bytes.set(p, frame)
            this.received.push(p)
            this.log.push(p)
          }
        }
      } catch (error) {
        this.error ??= error
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
  async next<T extends ClientPacketOf<V>['type']>(type: T, timeoutMs = 2000): Promise<Extract<ClientPacketOf<V>, { type: T }>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.received.findIndex((p) => p.type === type)
      if (i >= 0) return this.received.splice(i, 1)[0] as Extract<ClientPacketOf<V>, { type: T }>
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

  /** The exact bytes a received packet came in (its fixed header included). */
  bytesOf(packet: ClientPacketOf<V>): Uint8Array {
    const bytes = this.#bytes.get(packet)
    if (!bytes) throw new Error(`no bytes recorded for this ${packet.type}`)
    return bytes
  }

  /** Like `next()`, and gives the packet's exact bytes with it. */
  async nextBytes<T extends ClientPacketOf<V>['type']>(
    type: T,
    timeoutMs = 2000,
  ): Promise<[packet: Extract<ClientPacketOf<V>, { type: T }>, bytes: Uint8Array]> {
    const packet = await this.next(type, timeoutMs)
    return [packet, this.bytesOf(packet)]
  }

  /** Writes a packet (encoded in this connection's MQTT version), or exact bytes, to the client. */
  send(data: PacketOf<V> | Uint8Array | number[]): void {
    if (data instanceof Uint8Array || Array.isArray(data)) return void this.#socket.write(Uint8Array.from(data))
    this.#socket.write(this.protocolVersion === 5 ? encodeV5(data as PacketV5) : encode(data as Packet))
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

export interface FakeBrokerOptions<V extends Version> {
  /** MQTT over WebSocket at /mqtt. */
  websocket?: boolean
  /** The MQTT version it decodes and encodes. @default 4 */
  protocolVersion?: V
}

export class FakeBroker<V extends Version = 4> {
  readonly connections: Array<FakeConnection<V>> = []
  /** Called for every new connection; by default it answers CONNECT with an accepting CONNACK. */
  onConnection: (conn: FakeConnection<V>) => void | Promise<void> = async (conn) => {
    await conn.next('connect' as ClientPacketOf<V>['type'])
    const connack = this.protocolVersion === 5 ? { reasonCode: 0 } : { returnCode: 0 }
    conn.send({ type: 'connack', sessionPresent: false, ...connack } as PacketOf<V>)
  }
  readonly protocolVersion: V
  readonly #server: net.Server | http.Server
  readonly #wss: WebSocketServer | undefined
  #waiters: Array<() => void> = []
  port = 0

  private constructor(websocket: boolean, protocolVersion: V) {
    this.protocolVersion = protocolVersion
    if (!websocket) {
      this.#server = net.createServer((socket) => this.#accept(new FakeConnection(socket, undefined, protocolVersion)))
      return
    }
    const wss = (this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false }))
    this.#server = http.createServer()
    this.#server.on('upgrade', (request, socket, head) => {
      if (request.url !== '/mqtt') return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
      wss.handleUpgrade(request, socket, head, (ws) => this.#accept(new FakeConnection(createWebSocketStream(ws), ws, protocolVersion)))
    })
  }

  static async start<V extends Version = 4>({ websocket = false, protocolVersion = 4 as V }: FakeBrokerOptions<V> = {}): Promise<
    FakeBroker<V>
  > {
    const broker = new FakeBroker(websocket, protocolVersion)
    await new Promise<void>((resolve) => broker.#server.listen(0, '127.0.0.1', resolve))
    broker.port = (broker.#server.address() as net.AddressInfo).port
    return broker
  }

  get url(): string {
    return this.#wss ? `ws://127.0.0.1:${this.port}/mqtt` : `mqtt://127.0.0.1:${this.port}`
  }

  #accept(conn: FakeConnection<V>): void {
    this.connections.push(conn)
    for (const wake of this.#waiters.splice(0)) wake()
    void Promise.resolve(this.onConnection(conn)).catch(() => conn.destroy())
  }

  /** The newest connection, waiting up to `timeoutMs` for the next one if `index` is past the end. */
  async connection(index = this.connections.length - 1, timeoutMs = 2000): Promise<FakeConnection<V>> {
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
    return this.connections[index] as FakeConnection<V>
  }

  async close(): Promise<void> {
    for (const conn of this.connections) conn.destroy()
    this.#wss?.close()
    if ('closeAllConnections' in this.#server) this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/**
 * An `onConnection` for a broker started with `{ protocolVersion: 5 }`: answers CONNECT with this
 * CONNACK (accepting, without a session or properties, unless given), or with these exact bytes.
 */
export function answerWith(
  connack: Omit<Partial<ConnackPacketV5>, 'type'> | Uint8Array | number[] = {},
): (conn: FakeConnection<5>) => Promise<void> {
  return async (conn) => {
    await conn.next('connect')
    conn.send(
      connack instanceof Uint8Array || Array.isArray(connack)
        ? connack
        : { type: 'connack', sessionPresent: false, reasonCode: 0, ...connack },
    )
  }
}
