// Named imports: a default import of a node: module makes bundlers add an interop helper.
import { connect as tcp, isIP } from 'node:net'
import { connect as tls } from 'node:tls'
import { MqttError, type ErrorCode } from '@x/errno'
import type { Link, LinkHandlers, Target, Transport } from './link.js'

// Node's certificate verification failures: the broker's certificate was not accepted.
const CERT_ERROR = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|INVALID_CA|ERR_TLS_CERT)/

/** An MqttError for a socket error: which code, where, and the system error as the cause. */
function networkError(error: (Error & { code?: string }) | undefined, where: string, up: boolean): MqttError {
  if (error instanceof MqttError) return error
  const code = error?.code ?? ''
  const kind: ErrorCode = CERT_ERROR.test(code)
    ? 'ECERT'
    : /^ERR_(SSL|TLS)_/.test(code)
      ? 'ETLS'
      : up
        ? 'ECONCLOSE'
        : code === 'ENOTFOUND' || code.startsWith('EAI_')
          ? 'EDNS'
          : code === 'ECONNREFUSED'
            ? 'ECONNREFUSED'
            : 'ENOCON'
  return new MqttError(kind, `${up ? 'Connection to' : 'Cannot connect to'} ${where}: ${error?.message ?? 'closed by the broker'}`, {
    cause: error,
    operation: 'connect',
  })
}

/**
 * Opens a TCP or TLS connection with Node. With TLS, the certificate is verified unless the
 * options say otherwise, and SNI is sent with the host name (cloud brokers route by it) unless
 * the host is an IP address, where SNI is not allowed (RFC 6066).
 */
export const nodeTransport: Transport = ({ host, port, tls: options, timeoutMs }: Target, handlers: LinkHandlers) =>
  new Promise<Link>((resolve, reject) => {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
    const socket = options ? tls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...options }) : tcp({ host, port })
    let up = false
    let closing = false // the client asked for the close: do not report it
    let failure: Error | undefined
    let drainWaiters: Array<() => void> = []
    const wakeDrainWaiters = (): void => {
      for (const wake of drainWaiters.splice(0)) wake()
    }
    const timer = setTimeout(() => {
      failure = new MqttError('ESOCKETTIMEOUT', `Cannot connect to ${where}: no connection within ${timeoutMs} ms (socketTimeoutMs)`, {
        operation: 'connect',
      })
      socket.destroy()
    }, timeoutMs)

    socket.setNoDelay(true)
    socket.once(options ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      up = true
      resolve({
        write: (bytes) => socket.write(bytes),
        drain: () => new Promise((wake) => (socket.writableNeedDrain && !socket.destroyed ? drainWaiters.push(wake) : wake())),
        get buffered() {
          return socket.writableLength
        },
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        end: () =>
          new Promise((done) => {
            closing = true
            socket.once('close', done).end()
            if (socket.destroyed) done()
          }),
        destroy: () => {
          closing = true
          socket.destroy()
        },
      })
    })
    socket.on('data', handlers.onData)
    socket.on('drain', wakeDrainWaiters)
    socket.on('error', (error) => (failure ??= error))
    socket.on('close', () => {
      clearTimeout(timer)
      wakeDrainWaiters()
      if (!up) reject(networkError(failure, where, false))
      else if (!closing) handlers.onClose(networkError(failure, where, true))
    })
  })
