import { Errno, type ErrorCode } from './codes.js'
import { isMqttError } from './mqtt-error.js'

/**
 * One line per error: whether trying again (reconnecting, resending) can help, and what it means.
 * "Retryable" is the question a reconnecting client asks: a broker that was down may be up again,
 * but a refused password or an invalid topic will be refused again.
 */
const meanings: Record<ErrorCode, readonly [retryable: boolean, meaning: string]> = {
  EUNKNOWN: [false, 'Unknown error'],
  ECONCLOSE: [true, 'The connection was closed by the broker or the network'],
  EREADLEN: [true, 'A packet from the broker is shorter or longer than its fields say'],
  EWRITELEN: [true, 'A packet could not be written to the socket, or the socket did not drain in time'],
  ESTRTOLONG: [false, 'A string is longer than 65,535 UTF-8 bytes'],
  ERESPONSE: [true, 'The broker sent a packet that is not allowed at this point (out of order or client-only)'],
  EKEEPALIVE: [true, 'The broker stopped answering: no byte arrived within the keepalive deadline'],
  ENOCON: [true, 'The network connection to the broker failed'],
  ECONUNKNOWN: [false, 'Connection refused with a return code the standard does not define'],
  ECONPROTOCOL: [false, 'Connection refused: unacceptable protocol version (CONNACK 1)'],
  ECONREJECT: [false, 'Connection refused: client identifier rejected (CONNACK 2)'],
  ECONUNAVAILABLE: [true, 'Connection refused: server unavailable (CONNACK 3)'],
  ECONCREDENTIALS: [false, 'Connection refused: bad user name or password (CONNACK 4)'],
  ECONAUTH: [false, 'Connection refused: not authorized (CONNACK 5)'],
  ECONNOT: [true, 'Not connected: call connect() first'],
  ECONLENGTH: [true, 'The broker answered CONNECT with something other than a valid CONNACK'],
  ECONTIMEOUT: [true, 'No CONNACK arrived within socketTimeoutMs'],
  ESUBACKUNKNOWN: [true, 'The broker sent a SUBACK with an unknown return code or count'],
  ESUBACKFAIL: [false, 'The broker refused the subscription (SUBACK 0x80)'],
  EMALFORMED: [true, 'The broker sent a malformed packet'],
  EOVERSIZE: [true, 'The broker sent a packet larger than maxPacketBytes'],
  ETOPIC: [false, 'Invalid topic name'],
  EFILTER: [false, 'Invalid topic filter'],
  EQOS: [false, 'Invalid QoS: only 0, 1 and 2 exist'],
  ECLIENTID: [false, 'Invalid client identifier'],
  EPAYLOAD: [false, 'Invalid payload: a string or a Uint8Array is needed'],
  ETOOLARGE: [false, 'The packet would be larger than 268,435,455 bytes, the most MQTT can carry'],
  EOPTION: [false, 'Invalid option'],
  ENOPID: [true, 'All 65,535 packet identifiers are in flight'],
  EDNS: [true, "The broker's host name could not be resolved"],
  ECONNREFUSED: [true, 'The broker refused the TCP connection (nothing listens on that port)'],
  ETLS: [false, 'The TLS handshake failed'],
  ECERT: [false, "The broker's TLS certificate was not accepted"],
  ESOCKETTIMEOUT: [true, 'The network connection was not established within socketTimeoutMs'],
  ECLOSED: [false, 'The client was closed'],
  EQUEUEFULL: [false, 'The offline queue is full'],
  EDROPPED: [false, 'The message was dropped from the offline queue'],
}

const byNumber = new Map<number, ErrorCode>(Object.entries(Errno).map(([code, errno]) => [errno, code as ErrorCode]))

/** The symbol for an error number, or `undefined` for a number no error has. */
export function codeOf(errno: number): ErrorCode | undefined {
  return byNumber.get(errno)
}

/** The one-line meaning of an error number or symbol, e.g. `describe(24)`. */
export function describe(errno: number | ErrorCode): string {
  const code = typeof errno === 'number' ? codeOf(errno) : errno
  return code === undefined ? `Unknown error number ${String(errno)}` : meanings[code][1]
}

/**
 * Whether trying again can help: `true` for network failures, timeouts and a broker that is
 * unavailable; `false` for refused credentials, invalid arguments and a closed client.
 * Takes an error (any value) or an error number; anything that is not an MqttError is `false`.
 */
export function isRetryable(error: unknown): boolean {
  // By number, not by symbol: an error made by another copy of this package may carry a
  // symbol this copy does not know.
  const errno = typeof error === 'number' ? error : isMqttError(error) ? error.errno : undefined
  const code = errno === undefined ? undefined : codeOf(errno)
  return code !== undefined && meanings[code][0]
}
