import net from 'node:net'
import tls from 'node:tls'
import { MqttError } from '@x/errno'
import type { Link, LinkHandlers, Target, Transport } from './link.js'

// Node's certificate verification failures: the broker's certificate was not accepted.
const CERT_ERROR = /^(CERT_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|UNABLE_TO_|INVALID_CA|ERR_TLS_CERT_ALTNAME)/

/** An MqttError for a socket error: what failed, where, and the system code as the cause. */
function networkError(error: Error | undefined, where: string, up: boolean): MqttError {
  if (error instanceof MqttError) return error
  const code = String((error as NodeJS.ErrnoException | undefined)?.code ?? '')
  const because = error ? `: ${error.message}` : ''
  const details = { cause: error, operation: 'connect' }
  if (CERT_ERROR.test(code))
    return new MqttError('ECERT', `Cannot connect to ${where}: the broker's TLS certificate was not accepted${because}`, details)
  if (/^ERR_(SSL|TLS)_/.test(code)) return new MqttError('ETLS', `TLS with ${where} failed${because}`, details)
  if (up) return new MqttError('ECONCLOSE', `The connection to ${where} was closed${because || ' by the broker'}`, { cause: error })
  if (code === 'ENOTFOUND' || code.startsWith('EAI_'))
    return new MqttError('EDNS', `Cannot connect to ${where}: the host name does not resolve${because}`, details)
  if (code === 'ECONNREFUSED')
    return new MqttError(
      'ECONNREFUSED',
      `Cannot connect to ${where}: the connection was refused (is the broker running on that port?)`,
      details,
    )
  return new MqttError('ENOCON', `Cannot connect to ${where}${because || ': the connection closed during the handshake'}`, details)
}

/**
 * Opens a TCP or TLS connection with Node. With TLS, the certificate is verified unless the
 * options say otherwise, and SNI is sent with the host name (cloud brokers route by it) unless
 * the host is an IP address, where SNI is not allowed (RFC 6066).
 */
export const nodeTransport: Transport = (target: Target, handlers: LinkHandlers) =>
  new Promise<Link>((resolve, reject) => {
    const { host, port, timeoutMs } = target
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
    const socket = target.tls
      ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...target.tls })
      : net.connect({ host, port })
    let up = false
    let closing = false // the client asked for the close: do not report it
    let failure: Error | undefined
    let drainWaiters: Array<() => void> = []
    const wakeDrainWaiters = (): void => {
      const waiters = drainWaiters
      drainWaiters = []
      for (const wake of waiters) wake()
    }
    const timer = setTimeout(() => {
      failure = new MqttError('ESOCKETTIMEOUT', `Cannot connect to ${where}: no connection within ${timeoutMs} ms (socketTimeoutMs)`, {
        operation: 'connect',
      })
      socket.destroy()
    }, timeoutMs)

    const link: Link = {
      write: (bytes) => socket.write(bytes),
      drain: () => (socket.writableNeedDrain && !socket.destroyed ? new Promise((wake) => drainWaiters.push(wake)) : Promise.resolve()),
      get buffered() {
        return socket.writableLength
      },
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      end: () =>
        new Promise((done) => {
          closing = true
          if (socket.destroyed) return done()
          socket.once('close', () => done())
          socket.end()
        }),
      destroy: () => {
        closing = true
        socket.destroy()
      },
    }

    socket.setNoDelay(true)
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      up = true
      resolve(link)
    })
    socket.on('data', (chunk: Uint8Array) => handlers.onData(chunk))
    socket.on('drain', wakeDrainWaiters)
    socket.on('error', (error) => {
      failure ??= error
    })
    socket.on('close', () => {
      clearTimeout(timer)
      wakeDrainWaiters()
      if (!up) reject(networkError(failure, where, false))
      else if (!closing) handlers.onClose(networkError(failure, where, true))
    })
  })
