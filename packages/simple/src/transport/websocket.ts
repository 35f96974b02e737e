import { MqttError } from '@x/errno'
import { whereOf, type Link, type LinkHandlers, type Target, type TlsOptions, type Transport } from './link.js'
import { writeRound } from './io-round.js'
import { endOpening, startOpening, type Opening } from './opening.js'

/**
 * MQTT over WebSocket [MQTT-6.0.0]: the same byte stream as over TCP, carried in binary frames,
 * the subprotocol `mqtt` offered. Written against the WHATWG WebSocket API only, so one link
 * serves a browser's `WebSocket`, Node 22's and the `ws` package's.
 */

/** The part of the WHATWG WebSocket API the link uses. */
export interface WebSocketLike {
  binaryType: string
  readonly bufferedAmount: number
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onerror: ((event: { error?: unknown; message?: string }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  /** The `ws` package's: stop and restart reading (a browser's WebSocket has no flow control). */
  pause?(): void
  resume?(): void
  /** The `ws` package's: close at once, without the closing handshake. */
  terminate?(): void
}

/** Opens a WebSocket, as `new WebSocket(url, protocols)` does, with Node's TLS options where the runtime takes them. */
export type OpenWebSocket = (url: string, protocols: string[], tls: TlsOptions | undefined) => WebSocketLike

/** Says what a WebSocket's error event meant (`up`: after the link opened), or `undefined` to say it plainly. */
export type ExplainFailure = (error: unknown, where: string, up: boolean) => MqttError | undefined

const OPEN = 1
// write() asks the client to wait above this many bytes unsent (or sent in this round of the
// event loop: WriteRound), and drain() wakes below half of it.
const HIGH_WATER = 64 * 1024
// WHATWG WebSockets announce no drain: while a writer waits, the buffer is looked at this often.
const DRAIN_POLL_MS = 2
// Without a pause() (browsers), what arrives while the client is not reading is held, up to this.
const HOLD_LIMIT = 32 * 1024 * 1024

// What one turn's packets share a frame up to: a broker's WebSocket holds a frame whole before
// it reads a byte of it (the `ws` package closes past 100 MiB), so a burst goes out in many.
const FRAME_BYTES = 64 * 1024

/** The packets `from` up to `to` (`size` bytes in all) copied into one frame. */
function gather(packets: Uint8Array[], from: number, to: number, size: number): Uint8Array {
  const frame = new Uint8Array(size)
  for (let at = 0; from < to; from++) {
    frame.set(packets[from] as Uint8Array, at)
    at += (packets[from] as Uint8Array).length
  }
  return frame
}

/** The WebSocket close code and reason, for messages: `1006`, `1000 "bye"`. */
const closeCode = ({ code, reason }: { code: number; reason: string }): string =>
  `WebSocket close code ${code}${reason ? ` "${reason}"` : ''}`

/** A WebSocket as a Link. What is written in one turn of the event loop is gathered into frames of up to FRAME_BYTES. */
class WebSocketLink implements Link {
  readonly #socket: WebSocketLike
  readonly #handlers: LinkHandlers
  readonly #where: string
  readonly #explain: ExplainFailure | undefined
  #opening: Opening | undefined
  #over = false // closed, failed or asked to close: nothing more to report
  #closed = false
  #cause: unknown // what the last error event said
  #unsent: Uint8Array[] = []
  #unsentBytes = 0
  #paused = false
  #held: Uint8Array[] = []
  #heldBytes = 0
  #drainTimer: ReturnType<typeof setTimeout> | undefined
  // ws writes a frame to the kernel at once (its bufferedAmount stays near 0 on a fast link).
  readonly #round = writeRound(() => this.#drainWaiters.length && this.buffered < HIGH_WATER / 2 && this.#wakeDrainWaiters())
  #drainWaiters: Array<() => void> = []
  #whenClosed: Array<() => void> = []

  constructor(
    socket: WebSocketLike,
    where: string,
    handlers: LinkHandlers,
    explain: ExplainFailure | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    resolve: (link: Link) => void,
    reject: (error: MqttError) => void,
  ) {
    this.#socket = socket
    this.#where = where
    this.#handlers = handlers
    this.#explain = explain
    this.#opening = startOpening(where, timeoutMs, signal, resolve, reject, (error) => this.#fail(error))
    if (socket.binaryType === 'blob') socket.binaryType = 'arraybuffer'
    socket.onopen = () => this.#up()
    socket.onmessage = ({ data }) => this.#received(data)
    socket.onerror = (event) => (this.#cause ??= event.error ?? event.message)
    socket.onclose = (event) => this.#onClose(event)
  }

  write(bytes: Uint8Array): boolean {
    if (!this.#unsent.length) queueMicrotask(() => this.#flush())
    this.#unsent.push(bytes)
    this.#unsentBytes += bytes.length
    return this.buffered < HIGH_WATER
  }

  drain(): Promise<void> {
    return new Promise((wake) => {
      if (this.buffered < HIGH_WATER / 2 || this.#socket.readyState !== OPEN) return wake()
      this.#drainWaiters.push(wake)
      this.#drainTimer ??= setTimeout(() => this.#pollDrain(), DRAIN_POLL_MS)
    })
  }

  get buffered(): number {
    return this.#unsentBytes + this.#round.bytes + this.#socket.bufferedAmount
  }

  pause(): void {
    this.#paused = true
    this.#socket.pause?.()
  }

  resume(): void {
    this.#paused = false
    this.#socket.resume?.()
    while (this.#held.length && !this.#paused) {
      const chunk = this.#held.shift() as Uint8Array
      this.#heldBytes -= chunk.length
      this.#handlers.onData(chunk)
    }
  }

  end(): Promise<void> {
    this.#flush()
    this.#over = true
    return new Promise((done) => {
      if (this.#closed) return done()
      this.#whenClosed.push(done)
      this.#socket.close(1000)
    })
  }

  destroy(): void {
    this.#over = true
    this.#release()
    this.#unsent = []
    this.#unsentBytes = 0
    const socket = this.#socket
    if (socket.terminate) socket.terminate()
    else socket.close(1000)
  }

  /**
   * What was written in this turn goes out in frames of about FRAME_BYTES: the packets gathered
   * into one frame while it has room, a packet larger than that in frames of its own. (Copied
   * together: a client frame is masked, so a copy is made anyway [RFC 6455 5.3].)
   */
  #flush(): void {
    const unsent = this.#unsent
    if (!unsent.length) return
    const total = this.#unsentBytes
    this.#unsent = []
    this.#unsentBytes = 0
    if (this.#socket.readyState !== OPEN) return // closing: the close tells the client
    this.#round.add(total)
    for (let first = 0; first < unsent.length;) {
      let size = (unsent[first] as Uint8Array).length
      let end = first + 1
      while (end < unsent.length && size + (unsent[end] as Uint8Array).length <= FRAME_BYTES) size += (unsent[end++] as Uint8Array).length
      const frame = end - first === 1 ? (unsent[first] as Uint8Array) : gather(unsent, first, end, size)
      // A packet larger than a frame goes in several (a packet may span frames [MQTT-6.0.0-2]): a
      // broker refuses a frame past its limit (the ws package's: 100 MiB), however legal the packet.
      for (let at = 0; at < frame.length; at += FRAME_BYTES) this.#socket.send(frame.subarray(at, at + FRAME_BYTES))
      first = end
    }
  }

  #pollDrain(): void {
    this.#drainTimer = undefined
    if (this.buffered < HIGH_WATER / 2 || this.#socket.readyState !== OPEN) this.#wakeDrainWaiters()
    else if (this.#drainWaiters.length) this.#drainTimer = setTimeout(() => this.#pollDrain(), DRAIN_POLL_MS)
  }

  /** Nothing more will be written: every waiter wakes, and no timer is left. */
  #release(): void {
    this.#round.stop()
    this.#wakeDrainWaiters()
  }

  #wakeDrainWaiters(): void {
    clearTimeout(this.#drainTimer)
    this.#drainTimer = undefined
    const waiters = this.#drainWaiters
    this.#drainWaiters = []
    for (const wake of waiters) wake()
  }

  #received(data: unknown): void {
    if (this.#over) return
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : undefined
    if (!bytes) {
      const what = typeof data === 'string' ? 'a text frame' : 'a frame that is not binary'
      return this.#fail(new MqttError('EMALFORMED', `${this.#where} sent ${what}; MQTT travels in binary frames only [MQTT-6.0.0-1]`))
    }
    // An empty frame is legal and carries nothing [MQTT-6.0.0-2]: the client never sees it.
    if (!bytes.length) return
    if (!this.#paused) return this.#handlers.onData(bytes)
    if (this.#socket.pause) return this.#handlers.onData(bytes) // a few already read when ws paused
    this.#held.push(bytes)
    if ((this.#heldBytes += bytes.length) > HOLD_LIMIT) {
      this.#fail(
        new MqttError(
          'ECONCLOSE',
          `Connection to ${this.#where} closed: more than ${HOLD_LIMIT} bytes arrived while the program was not reading (a browser WebSocket cannot make the broker wait); call checkMsg() or waitMsg() more often`,
        ),
      )
    }
  }

  #up(): void {
    this.#leaveOpening()?.resolve(this)
  }

  #leaveOpening(): Opening | undefined {
    const opening = this.#opening
    this.#opening = undefined
    return endOpening(opening)
  }

  /** Ends the link for `error`, reported at once: a closing handshake may never be answered. */
  #fail(error: MqttError): void {
    if (this.#over) return
    this.#over = true
    this.#held = []
    this.#heldBytes = 0
    this.#release()
    const opening = this.#leaveOpening()
    const socket = this.#socket
    if (socket.terminate) socket.terminate()
    else socket.close(error.code === 'EMALFORMED' ? 1002 : 1000)
    if (opening) opening.reject(error)
    else this.#handlers.onClose(error)
  }

  /** The socket closed: by the broker or the network (reported), or as asked (not). */
  #onClose(event: { code: number; reason: string }): void {
    this.#closed = true
    const socket = this.#socket
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null
    for (const done of this.#whenClosed.splice(0)) done()
    if (this.#over) return this.#release()
    const up = !this.#opening
    const cause = this.#cause
    const said = typeof cause === 'string' && cause ? `, ${cause}` : ''
    this.#fail(
      this.#explain?.(cause, this.#where, up) ??
        new MqttError(
          up ? 'ECONCLOSE' : 'ENOCON',
          `${up ? 'Connection to' : 'Cannot connect to'} ${this.#where}: ${up ? 'closed by the broker' : 'the WebSocket did not open'} (${closeCode(event)}${said})`,
          up ? { cause } : { cause, operation: 'connect' },
        ),
    )
  }
}

/**
 * A transport over WebSocket: `open` makes the socket (a browser's `WebSocket`, the `ws`
 * package's), `explain` turns the runtime's errors into MqttErrors with what to do about them.
 * The target's `path` is where the broker serves MQTT (`/mqtt`).
 */
export function webSocketTransport(open: OpenWebSocket, explain?: ExplainFailure): Transport {
  return (target: Target, handlers: LinkHandlers, signal?: AbortSignal) =>
    new Promise<Link>((resolve, reject) => {
      const where = whereOf({ ...target, path: target.path ?? '/mqtt' })
      let socket: WebSocketLike
      try {
        socket = open(where, ['mqtt'], target.tls)
      } catch (error) {
        if (error instanceof MqttError) return reject(error)
        // A URL the runtime refuses, or a page that may not open it (ws:// from an https:// page).
        const said = error instanceof Error ? error.message : String(error)
        return reject(
          explain?.(error, where, false) ??
            new MqttError('ENOCON', `Cannot connect to ${where}: ${said}`, { cause: error, operation: 'connect' }),
        )
      }
      void new WebSocketLink(socket, where, handlers, explain, target.timeoutMs, signal, resolve, reject)
    })
}
