/**
 * A TCP proxy that breaks the link between a client and a broker on purpose, for fault tests.
 * It listens on 127.0.0.1 (a free port) and opens one connection to the target for every client
 * connection it accepts.
 *
 * ```ts
 * const proxy = await startFaultProxy({ targetPort: broker.port })
 * const client = new MqttClient({ clientId: 'c', server: proxy.url })
 * proxy.blackhole()          // the link goes dead: nothing crosses, sockets stay open
 * proxy.pass()               // the link is back: what was held is delivered, in order
 * proxy.cut()                // every current connection is reset, on both sides
 * await proxy.close()        // in afterAll / finally: releases every socket, timer and listener
 * ```
 *
 * API (all of it is on the object `startFaultProxy()` resolves):
 * - `host`, `port`, `url` (`mqtt://127.0.0.1:<port>`): where clients connect.
 * - `pass()`: pass-through (the initial mode), and the way back from `blackhole()`.
 * - `blackhole()`: a dead link. Current and new connections stay open (new ones are still
 *   accepted, and still get their connection to the target) but nothing crosses in either
 *   direction: no data, no FIN, no reset. The proxy stops reading, so the sender's TCP buffers
 *   fill up as they would on a dead path. What was already read is held, and `pass()` delivers
 *   it in order, as TCP would retransmit it once the path works again; to lose it, `cut()`.
 *   A connection whose two sides both close while black-holed is simply released.
 * - `cut()`: resets (RST) both sides of every current connection at once, like a NAT timeout or
 *   a broker crash; the broker sees no DISCONNECT, so it publishes the last will. Returns how many
 *   connections it cut. New connections are accepted as before.
 * - `delay(ms)`: every chunk (and every close) is forwarded `ms` later than it was read, in
 *   order, both ways; `delay(0)` ends it. Applies to what is read from then on.
 * - `refuse()`: stops listening, so new connections get ECONNREFUSED (current ones go on);
 *   `accept()`: listens again on the same port. Both resolve once done.
 * - `setTarget(port, host = '127.0.0.1')`: where new connections go (e.g. a restarted broker on
 *   another port); current connections keep their target (`cut()` them to move them).
 * - `stats`: live counters — `connections` accepted in total, `active` now open, `bytesToBroker`
 *   and `bytesToClient` forwarded, `targetFailures` (the target refused or reset a connection
 *   before sending anything).
 * - `close()`: resets every connection, clears every timer, closes the listener; resolves when
 *   all is released. Idempotent.
 *
 * A client connection is accepted before the target is reached, so when the target is down the
 * client sees its connection open and then reset (not ECONNREFUSED): use `refuse()` to model a
 * broker host that is down.
 */
import net from 'node:net'

export interface FaultProxyOptions {
  /** The port connections are forwarded to (the broker's). */
  targetPort: number
  /** @default '127.0.0.1' */
  targetHost?: string
  /** The target speaks MQTT over WebSocket: `url` is then `ws://127.0.0.1:<port>/mqtt`. */
  websocket?: boolean
}

export interface FaultProxyStats {
  /** Client connections accepted since the start. */
  connections: number
  /** Client connections open now. */
  active: number
  /** Bytes forwarded from clients to the target. */
  bytesToBroker: number
  /** Bytes forwarded from the target to clients. */
  bytesToClient: number
  /** Connections the target refused or reset before it sent a byte. */
  targetFailures: number
}

export interface FaultProxy {
  readonly host: string
  readonly port: number
  /** `mqtt://127.0.0.1:<port>` (`ws://127.0.0.1:<port>/mqtt` with `websocket`). */
  readonly url: string
  readonly stats: Readonly<FaultProxyStats>
  /** `'pass'` or `'blackhole'`. */
  readonly mode: 'pass' | 'blackhole'
  /** The current delay in ms (0 = none). */
  readonly delayMs: number
  /** Whether new connections are accepted (false after `refuse()`). */
  readonly accepting: boolean
  pass(): void
  blackhole(): void
  cut(): number
  delay(ms: number): void
  refuse(): Promise<void>
  accept(): Promise<void>
  setTarget(port: number, host?: string): void
  close(): Promise<void>
}

const HOST = '127.0.0.1'
// Stop reading from a side when this much is waiting to be forwarded (a delay, a slow reader).
const HIGH_WATER = 1 << 20
const ACCEPT_RETRIES = 20

/** What a pipe holds: data, or the end of its stream (FIN, or a reset). */
type Item = { at: number; chunk: Buffer } | { at: number; chunk: 'end' | 'reset' }

/** The proxy state a pipe needs. */
interface Control {
  readonly blackholed: boolean
  readonly delayMs: number
}

/**
 * Resets a socket (RST) where it can, else just destroys it. Not after end(): libuv refuses to
 * reset a socket whose FIN is under way (EINVAL), and Node then never closes its handle.
 */
function kill(socket: net.Socket): void {
  if (socket.destroyed) return
  if (socket.connecting || socket.pending || socket.writableEnded) socket.destroy()
  else socket.resetAndDestroy()
}

/** One direction of one connection: reads `from`, forwards to `to` when the proxy allows it. */
class Pipe {
  readonly #from: net.Socket
  readonly #to: net.Socket
  readonly #control: Control
  readonly #count: (bytes: number) => void
  #queue: Item[] = []
  #queuedBytes = 0
  #lastAt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #draining = false
  #ended = false
  #stopped = false
  /** Whether anything came from `from` (data or FIN). */
  received = false

  constructor(from: net.Socket, to: net.Socket, control: Control, count: (bytes: number) => void) {
    this.#from = from
    this.#to = to
    this.#control = control
    this.#count = count
    from.on('data', (chunk: Buffer) => {
      this.received = true
      this.#push(chunk)
      this.#queuedBytes += chunk.length
      if (this.#queuedBytes > HIGH_WATER) from.pause()
    })
    from.on('end', () => {
      this.received = true
      this.#push('end')
    })
    // A close without a FIN first: an error or a reset, which the other side gets as a reset.
    from.on('close', () => {
      if (!this.#ended) this.#push('reset')
    })
  }

  #push(chunk: Buffer | 'end' | 'reset'): void {
    if (this.#ended || this.#stopped) return
    if (chunk === 'end' || chunk === 'reset') this.#ended = true
    // Never before an earlier item, so a shorter delay cannot reorder the stream.
    this.#lastAt = Math.max(Date.now() + this.#control.delayMs, this.#lastAt)
    this.#queue.push({ at: this.#lastAt, chunk } as Item)
    this.pump()
  }

  /** Forwards what is due, unless black-holed; schedules the rest. */
  pump(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#stopped) return
    if (this.#control.blackholed) {
      this.#from.pause()
      return
    }
    while (!this.#draining) {
      const head = this.#queue[0]
      if (!head) break
      const wait = head.at - Date.now()
      if (wait > 0) {
        this.#timer = setTimeout(() => this.pump(), wait)
        break
      }
      this.#queue.shift()
      if (head.chunk === 'reset') {
        kill(this.#to)
        this.#queue = []
        return
      }
      if (head.chunk === 'end') {
        if (!this.#to.destroyed) this.#to.end()
        continue
      }
      this.#queuedBytes -= head.chunk.length
      if (this.#to.destroyed) continue
      this.#count(head.chunk.length)
      if (!this.#to.write(head.chunk)) {
        this.#draining = true
        this.#to.once('drain', () => {
          this.#draining = false
          this.pump()
        })
      }
    }
    if (this.#queuedBytes <= HIGH_WATER && !this.#from.destroyed && this.#from.isPaused()) this.#from.resume()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queue = []
  }
}

/** A client connection and its connection to the target. */
class Pair {
  readonly client: net.Socket
  readonly broker: net.Socket
  readonly up: Pipe
  readonly down: Pipe

  constructor(client: net.Socket, target: { port: number; host: string }, control: Control, stats: FaultProxyStats, done: () => void) {
    this.client = client
    this.broker = net.connect({ port: target.port, host: target.host, allowHalfOpen: true, noDelay: true })
    this.up = new Pipe(client, this.broker, control, (n) => (stats.bytesToBroker += n))
    this.down = new Pipe(this.broker, client, control, (n) => (stats.bytesToClient += n))
    // Errors are normal here (resets, refused targets); a close follows each, which the pipes handle.
    client.on('error', () => {})
    this.broker.on('error', () => {
      if (!this.down.received) stats.targetFailures++
    })
    let open = 2
    const closed = (): void => {
      if (--open === 0) {
        this.up.stop()
        this.down.stop()
        done()
      }
    }
    client.once('close', closed)
    this.broker.once('close', closed)
  }

  pump(): void {
    this.up.pump()
    this.down.pump()
  }

  kill(): void {
    this.up.stop()
    this.down.stop()
    kill(this.client)
    kill(this.broker)
  }
}

class FaultProxyServer implements FaultProxy, Control {
  readonly host = HOST
  readonly port: number
  readonly url: string
  readonly stats: FaultProxyStats = { connections: 0, active: 0, bytesToBroker: 0, bytesToClient: 0, targetFailures: 0 }
  blackholed = false
  delayMs = 0
  #target: { port: number; host: string }
  #server: net.Server | undefined
  /** Servers not yet fully closed (a closed listener waits for its connections). */
  readonly #servers = new Set<net.Server>()
  readonly #pairs = new Set<Pair>()
  #closed = false

  constructor(server: net.Server, target: { port: number; host: string }, websocket: boolean) {
    this.#target = target
    this.#adopt(server)
    this.port = (server.address() as net.AddressInfo).port
    this.url = websocket ? `ws://${HOST}:${this.port}/mqtt` : `mqtt://${HOST}:${this.port}`
  }

  get mode(): 'pass' | 'blackhole' {
    return this.blackholed ? 'blackhole' : 'pass'
  }

  get accepting(): boolean {
    return this.#server !== undefined
  }

  #adopt(server: net.Server): void {
    this.#server = server
    this.#servers.add(server)
    server.once('close', () => this.#servers.delete(server))
    server.on('connection', (client) => this.#connection(client))
  }

  #connection(client: net.Socket): void {
    if (this.#closed) return void client.destroy()
    client.setNoDelay(true)
    this.stats.connections++
    this.stats.active++
    const pair = new Pair(client, this.#target, this, this.stats, () => {
      this.#pairs.delete(pair)
      this.stats.active--
    })
    this.#pairs.add(pair)
  }

  pass(): void {
    this.blackholed = false
    for (const pair of this.#pairs) pair.pump()
  }

  blackhole(): void {
    this.blackholed = true
    for (const pair of this.#pairs) pair.pump()
  }

  cut(): number {
    const n = this.#pairs.size
    for (const pair of this.#pairs) pair.kill()
    return n
  }

  delay(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`delay(${ms}): not a number of milliseconds >= 0`)
    this.delayMs = ms
  }

  async refuse(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    // Stops listening at once; the server's 'close' waits for its connections, not awaited here.
    server?.close()
  }

  async accept(): Promise<void> {
    if (this.#closed) throw new Error('accept(): the proxy is closed')
    if (this.#server) return
    // The port was ours a moment ago; retry briefly in case the system has not released it yet.
    for (let attempt = 1; ; attempt++) {
      const server = net.createServer({ allowHalfOpen: true })
      try {
        await listen(server, this.port)
        this.#adopt(server)
        return
      } catch (error) {
        if (attempt >= ACCEPT_RETRIES) throw error
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    }
  }

  setTarget(port: number, host = HOST): void {
    this.#target = { port, host }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#server?.close()
    this.#server = undefined
    for (const pair of this.#pairs) pair.kill()
    const closing = [...this.#servers].map((server) => new Promise<void>((resolve) => server.once('close', () => resolve())))
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([Promise.all(closing), new Promise((resolve) => (timer = setTimeout(resolve, 2000)))])
    clearTimeout(timer)
  }
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => reject(error)
    server.once('error', failed)
    server.listen(port, HOST, () => {
      server.off('error', failed)
      resolve()
    })
  })
}

/** Starts a proxy on 127.0.0.1 (a free port) in pass-through mode. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  // allowHalfOpen: a FIN from one side is forwarded as a FIN, while the other direction goes on.
  const server = net.createServer({ allowHalfOpen: true })
  await listen(server, 0)
  return new FaultProxyServer(server, { port: options.targetPort, host: options.targetHost ?? HOST }, options.websocket === true)
}
