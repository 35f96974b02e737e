// Named imports: a default import of a node: module makes bundlers add an interop helper.
import { connect as tcp, isIP, type Socket } from 'node:net'
import { connect as tls } from 'node:tls'
import { answeredPlain } from './network-error.js'

/**
 * Probes that tell a wrong port from a flaky network. A connection closed unanswered during the
 * handshake looks the same either way; asking the port once more, the other way, says which.
 */

/** Runs a probe on `socket`: `verdict` settles it, a close or the deadline or `signal` is "no". */
function probe(
  socket: Socket,
  ms: number,
  signal: AbortSignal | undefined,
  start: (verdict: (yes: boolean) => void) => void,
): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (yes: boolean): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', no)
      socket.destroy()
      resolve(yes)
    }
    const no = (): void => done(false)
    const timer = setTimeout(no, ms)
    signal?.addEventListener('abort', no)
    socket.on('error', () => {})
    socket.once('close', no)
    start(done)
  })
}

const tlsTo = (host: string, port: number): Socket =>
  tls({ host, port, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) })

/**
 * Whether a TLS server answers at host:port: a handshake that completes, or fails for a reason
 * only TLS has — not for an answer that is no TLS record at all ("wrong version number": a plain
 * server talking back).
 */
export function answersTls(host: string, port: number, ms: number, signal?: AbortSignal): Promise<boolean> {
  const socket = tlsTo(host, port)
  return probe(socket, ms, signal, (verdict) => {
    socket.once('secureConnect', () => verdict(true))
    socket.once('error', (e: Error & { code?: string }) => verdict(/^ERR_(SSL|TLS)_|CERT/.test(e.code ?? '') && !answeredPlain(e)))
  })
}

// CONNECT, MQTT 3.1.1, clean session, no keepalive, an empty client id: any broker answers it with
// a CONNACK (accepting it, or refusing the id or the login), and nothing of it outlives the probe.
const PROBE_CONNECT = Uint8Array.of(0x10, 12, 0, 4, 77, 81, 84, 84, 4, 2, 0, 0, 0, 0)

/** Whether an MQTT broker answers at host:port, in plain TCP or (`secure`) in TLS: a CONNACK to a CONNECT. */
export function answersMqtt(host: string, port: number, ms: number, signal?: AbortSignal, secure = false): Promise<boolean> {
  const socket = secure ? tlsTo(host, port) : tcp({ host, port })
  return probe(socket, ms, signal, (verdict) => {
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(PROBE_CONNECT))
    socket.once('data', (chunk: Uint8Array) => verdict(chunk[0] === 0x20))
  })
}
