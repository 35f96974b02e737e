// Named imports: a default import of a node: module makes bundlers add an interop helper.
import { connect as tcp, isIP } from 'node:net'
import { connect as tls } from 'node:tls'
import { MqttError, type ErrorCode } from '@x/errno'
import type { Link, LinkHandlers, Target, Transport } from './link.js'
import { answersMqtt, answersTls } from './probe.js'

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
  const message = `${up ? 'Connection to' : 'Cannot connect to'} ${where}: ${error?.message ?? 'closed by the broker'}`
  // Only a failure before the link is up belongs to the operation 'connect'.
  return new MqttError(kind, message, up ? { cause: error } : { cause: error, operation: 'connect' })
}

/** The wrong kind of port, once a probe has shown it: not retryable, with what to do instead. */
const wrongPort = (where: string, speaks: 'TLS' | 'plain MQTT', cause: MqttError): MqttError =>
  new MqttError(
    'ETLS',
    `Cannot connect to ${where}: it is a ${speaks} port; connect with ${speaks === 'TLS' ? 'mqtts:// (or the tls option)' : 'mqtt:// (no tls)'}`,
    { cause, operation: 'connect' },
  )

/**
 * Opens a TCP or TLS connection with Node. With TLS, the certificate is verified unless the
 * options say otherwise, and SNI is sent with the host name (cloud brokers route by it) unless
 * the host is an IP address, where SNI is not allowed (RFC 6066).
 */
export const nodeTransport: Transport = ({ host, port, tls: options, timeoutMs }: Target, handlers: LinkHandlers, signal?: AbortSignal) =>
  new Promise<Link>((resolve, reject) => {
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
    const socket = options ? tls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...options }) : tcp({ host, port })
    let stage: 'tcp' | 'tls' | 'up' = 'tcp'
    let heard = false // a byte arrived: the server speaks what we speak
    let closing = false // the client asked for the close: do not report it
    let failure: Error | undefined
    let drainWaiters: Array<() => void> = []
    const wakeDrainWaiters = (): void => {
      for (const wake of drainWaiters.splice(0)) wake()
    }
    const abandon = (error: MqttError): void => {
      failure = error
      socket.destroy()
    }
    const onAbort = (): void =>
      abandon(new MqttError('ECLOSED', `Connect to ${where} aborted: the client was closed`, { operation: 'connect' }))
    const timer = setTimeout(
      () =>
        abandon(
          new MqttError('ESOCKETTIMEOUT', `Cannot connect to ${where}: no connection within ${timeoutMs} ms (socketTimeoutMs)`, {
            operation: 'connect',
          }),
        ),
      timeoutMs,
    )
    signal?.addEventListener('abort', onAbort)
    if (signal?.aborted) onAbort()

    socket.setNoDelay(true)
    socket.once('connect', () => (stage = options ? 'tls' : stage))
    socket.once(options ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      stage = 'up'
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
    socket.on('data', (chunk: Uint8Array) => {
      heard = true
      handlers.onData(chunk)
    })
    socket.on('drain', wakeDrainWaiters)
    socket.on('error', (error) => (failure ??= error))
    socket.on('close', () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      wakeDrainWaiters()
      const up = stage === 'up'
      if (up && closing) return
      const error = networkError(failure, where, up)
      // Closed unanswered in the handshake: a wrong port, or the network? Asking the port the
      // other way tells (TLS to a plain port: it answers a plain CONNECT; plain to a TLS port: a
      // TLS handshake); else it was the network, and retryable.
      const reset = !failure || /^(ECONNRESET|EPIPE)$/.test((failure as Error & { code?: string }).code ?? '')
      const unanswered = !heard && reset && (stage === 'tls' || (up && !options))
      const report = up ? handlers.onClose : reject
      if (!unanswered) return report(error)
      const probing = stage === 'tls' ? answersMqtt(host, port, timeoutMs, signal) : answersTls(host, port, timeoutMs, signal)
      void probing.then((wrong) => report(wrong ? wrongPort(where, stage === 'tls' ? 'plain MQTT' : 'TLS', error) : error))
    })
  })
