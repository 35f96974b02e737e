// Named imports: a default import of a node: module makes bundlers add an interop helper.
import { connect as tcp, isIP, type Socket } from 'node:net'
import { connect as tls, type ConnectionOptions } from 'node:tls'
import { MqttError } from '@x/errno'
import { ROUND_BYTES, writeRound } from './io-round.js'
import { addressOf, type Link, type LinkHandlers, type Target, type Transport } from './link.js'
import { networkError, type SocketError } from './network-error.js'
import { endOpening, startOpening, type Opening } from './opening.js'
import { answersMqtt, answersTls } from './probe.js'

/** The wrong kind of port, once a probe has shown it: not retryable, with what to do instead. */
const wrongPort = (where: string, speaks: 'TLS' | 'plain MQTT', cause: MqttError): MqttError =>
  new MqttError(
    'ETLS',
    `Cannot connect to ${where}: it is a ${speaks} port; connect with ${speaks === 'TLS' ? 'mqtts:// (or the tls option)' : 'mqtt:// (no tls)'}`,
    { cause, operation: 'connect' },
  )

/** Whether a socket error is the other side closing or resetting: what an unanswered handshake ends with. */
const isReset = (error: SocketError | undefined): boolean => !error || error.code === 'ECONNRESET' || error.code === 'EPIPE'

/** Node's opening also knows how far it got: the TCP connect, then the TLS handshake. */
type NodeOpening = Opening & { stage: 'tcp' | 'tls' }

/**
 * A socket as a Link. A class, so an idle connection holds a few fields and four listeners, not a
 * closure per method. Everything written in one tick goes out in one writev (one syscall, fewer
 * TCP segments): a batch of acknowledgements, a burst of publishes.
 */
class NodeLink implements Link {
  readonly #socket: Socket
  readonly #handlers: LinkHandlers
  readonly #target: Target
  readonly #where: string
  #opening: NodeOpening | undefined
  #corked = false
  #closing = false // the client asked for the close: do not report it
  #heard = false // a byte arrived: the server speaks what we speak
  #failure: SocketError | undefined
  #drainWaiters: Array<() => void> | undefined
  #probe: AbortController | undefined // the wrong-port probe after a close: the client's close ends it too
  readonly #round = writeRound(() => !this.#socket.writableNeedDrain && this.#wakeDrainWaiters())

  constructor(
    target: Target,
    handlers: LinkHandlers,
    signal: AbortSignal | undefined,
    resolve: (link: Link) => void,
    reject: (error: MqttError) => void,
  ) {
    const { host, port, tls: options, timeoutMs } = target
    const where = (this.#where = addressOf(host, port))
    this.#target = target
    this.#handlers = handlers
    const socket = (this.#socket = options
      ? tls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...(options as ConnectionOptions) })
      : tcp({ host, port }))
    const opening = startOpening(where, timeoutMs, signal, resolve, reject, (error) => this.#abandon(error))
    this.#opening = { ...opening, stage: 'tcp' }
    socket.setNoDelay(true)
    socket.once('connect', () => (options ? this.#opening && (this.#opening.stage = 'tls') : this.#up()))
    if (options) socket.once('secureConnect', () => this.#up())
    socket.on('data', (chunk: Uint8Array) => {
      this.#heard = true
      handlers.onData(chunk)
    })
    socket.on('drain', () => this.#round.bytes < ROUND_BYTES && this.#wakeDrainWaiters())
    socket.on('error', (error: SocketError) => (this.#failure ??= error))
    socket.on('close', () => this.#closed())
  }

  write(bytes: Uint8Array): boolean {
    if (!this.#corked) {
      this.#corked = true
      this.#socket.cork()
      process.nextTick(uncork, this)
    }
    const room = this.#round.add(bytes.length)
    return this.#socket.write(bytes) && room
  }

  /** @internal The tick's writes go out. */
  uncork(): void {
    this.#corked = false
    this.#socket.uncork()
  }

  drain(): Promise<void> {
    const socket = this.#socket
    const full = socket.writableNeedDrain || this.#round.bytes >= ROUND_BYTES
    return new Promise((wake) => (full && !socket.destroyed ? (this.#drainWaiters ??= []).push(wake) : wake()))
  }

  get buffered(): number {
    return this.#socket.writableLength
  }

  pause(): void {
    this.#socket.pause()
  }

  resume(): void {
    this.#socket.resume()
  }

  end(): Promise<void> {
    const socket = this.#socket
    this.#closing = true
    this.#probe?.abort()
    return new Promise((done) => {
      socket.once('close', () => done()).end()
      if (socket.destroyed) done()
    })
  }

  destroy(): void {
    this.#closing = true
    this.#probe?.abort()
    this.#socket.destroy()
  }

  #up(): void {
    const opening = this.#leaveOpening()
    opening?.resolve(this)
  }

  #leaveOpening(): NodeOpening | undefined {
    const opening = this.#opening
    this.#opening = undefined
    return endOpening(opening)
  }

  #abandon(error: MqttError): void {
    this.#failure = error
    this.#socket.destroy()
  }

  /**
   * The socket closed. Opening: the transport rejects. Up: the link reports it, unless the client
   * closed it. Closed unanswered in the handshake, though, is either the wrong kind of port or the
   * network: asking the port once more the other way (a plain CONNECT to a TLS handshake that got
   * nothing back, a TLS handshake to a plain link closed before a byte) tells which.
   */
  #closed(): void {
    this.#round.stop()
    this.#wakeDrainWaiters()
    const { host, port, tls: options, timeoutMs } = this.#target
    const where = this.#where
    const unanswered = !this.#heard && isReset(this.#failure)
    const opening = this.#leaveOpening()
    if (opening) {
      const error = networkError(this.#failure, where, false)
      if (opening.stage !== 'tls' || !unanswered) return opening.reject(error)
      return void answersMqtt(host, port, timeoutMs, opening.signal).then((plain) =>
        opening.reject(plain ? wrongPort(where, 'plain MQTT', error) : error),
      )
    }
    if (this.#closing) return
    const error = networkError(this.#failure, where, true)
    const onClose = this.#handlers.onClose
    if (options || !unanswered) return onClose(error)
    // Still the client's link while it probes: disconnect() ends the probe, and nothing is reported after it.
    this.#probe = new AbortController()
    void answersTls(host, port, timeoutMs, this.#probe.signal).then(
      (tlsPort) => this.#closing || onClose(tlsPort ? wrongPort(where, 'TLS', error) : error),
    )
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters
    this.#drainWaiters = undefined
    if (waiters) for (const wake of waiters) wake()
  }
}

const uncork = (link: NodeLink): void => link.uncork()

/**
 * Opens a TCP or TLS connection with Node. With TLS, the certificate is verified unless the
 * options say otherwise, and SNI is sent with the host name (cloud brokers route by it) unless
 * the host is an IP address, where SNI is not allowed (RFC 6066).
 */
export const nodeTransport: Transport = (target, handlers, signal) =>
  new Promise<Link>((resolve, reject) => void new NodeLink(target, handlers, signal, resolve, reject))
