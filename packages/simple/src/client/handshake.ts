import { MqttError, type ErrorCode } from '@x/errno'
import type { ConnackPacket } from '../codec/packet.js'

const REFUSALS: ReadonlyArray<readonly [ErrorCode, string]> = [
  ['ECONPROTOCOL', 'unacceptable protocol version'],
  ['ECONREJECT', 'client identifier rejected'],
  ['ECONUNAVAILABLE', 'server unavailable'],
  ['ECONCREDENTIALS', 'bad user name or password'],
  ['ECONAUTH', 'not authorized'],
]

const connectError = (code: ErrorCode, message: string, returnCode?: number): MqttError =>
  new MqttError(code, message, returnCode === undefined ? { operation: 'connect' } : { operation: 'connect', returnCode })

/**
 * Why the first bytes from the server cannot begin a CONNACK [MQTT-3.2.0-1], naming what the
 * server seems to speak instead; `undefined` when they can. Checked before the decoder sees them,
 * so an HTTP or TLS answer is reported as such, not as a malformed packet of some other type. An
 * answer in TLS or HTTP proves the wrong kind of port (no network makes one up): not retryable.
 */
export function notConnack(chunk: Uint8Array, where: string, auth: boolean): MqttError | undefined {
  const byte = chunk[0] as number
  // MQTT 5's enhanced authentication may come first: AUTH.
  if (byte === 0x20 || (auth && byte === 0xf0)) return undefined
  // A TLS record: an alert (21) or handshake (22) answering our CONNECT.
  if (byte === 0x15 || byte === 0x16) {
    return connectError('ETLS', `${where} answered in TLS: it is a TLS port, connect with mqtts:// (or the tls option)`)
  }
  // "HTTP/": a web server (a WebSocket listener) answering our CONNECT as a bad request.
  if (String.fromCharCode(...chunk.subarray(0, 5)) === 'HTTP/') {
    return connectError(
      'EWRONGPORT',
      `${where} answered in HTTP: it is an HTTP port; for MQTT over WebSocket connect with ws://${where}/mqtt`,
    )
  }
  const shown = `0x${byte.toString(16).padStart(2, '0')}${byte > 0x20 && byte < 0x7f ? ` ("${String.fromCharCode(byte)}")` : ''}`
  return connectError('ECONLENGTH', `${where} did not answer with CONNACK: its first byte is ${shown} [MQTT-3.2.0-1]`)
}

/** What a CONNACK says: whether the broker resumed a session, or why it refused the connection. */
export function connackOutcome(p: ConnackPacket, cleanSession: boolean, where: string): boolean | MqttError {
  const rc = p.returnCode
  if (rc) {
    const [code, reason] = REFUSALS[rc - 1] ?? ['ECONUNKNOWN', 'a return code MQTT 3.1.1 does not define']
    return connectError(code, `${where} refused the connection: ${reason} (CONNACK return code ${rc})`, rc)
  }
  if (p.sessionPresent && cleanSession) {
    return connectError('ECONLENGTH', 'CONNACK says session present after a clean session [MQTT-3.2.2-1]')
  }
  return p.sessionPresent
}
