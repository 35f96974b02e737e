import { Errno, type ErrorCode } from './codes.js'
import { isMqttError } from './mqtt-error.js'

/** What a code says beyond its number: columns of the table below. */
const RETRYABLE = 1
const INPUT = 2

/**
 * One line per error: its kind and what it means.
 * - RETRYABLE: trying again (reconnecting, resending) can help. The question a reconnecting client
 *   asks: a broker that was down may be up again, but a refused password will be refused again.
 *   ECONNOT is retryable: connecting again is exactly what helps.
 * - INPUT: an argument or option was refused before a byte was sent; the same call fails again,
 *   so a client that queues work refuses it instead of keeping it.
 */
const meanings: Record<ErrorCode, readonly [kind: number, meaning: string]> = {
  EUNKNOWN: [0, 'Unknown error'],
  ECONCLOSE: [RETRYABLE, 'The connection was closed by the broker or the network'],
  EREADLEN: [RETRYABLE, 'A packet from the broker is shorter or longer than its fields say'],
  EWRITELEN: [RETRYABLE, 'A packet could not be written to the socket, or the socket did not drain in time'],
  ESTRTOLONG: [INPUT, 'A string is longer than 65,535 UTF-8 bytes'],
  ERESPONSE: [RETRYABLE, 'The broker sent a packet that is not allowed at this point (out of order or client-only)'],
  EKEEPALIVE: [RETRYABLE, 'The broker stopped answering: a PINGREQ got no byte back within socketTimeoutMs'],
  ENOCON: [RETRYABLE, 'The network connection to the broker failed'],
  ECONUNKNOWN: [0, 'Connection refused with a return code the standard does not define'],
  ECONPROTOCOL: [0, 'Connection refused: unacceptable protocol version (CONNACK 1)'],
  ECONREJECT: [0, 'Connection refused: client identifier rejected (CONNACK 2)'],
  ECONUNAVAILABLE: [RETRYABLE, 'Connection refused: server unavailable (CONNACK 3)'],
  ECONCREDENTIALS: [0, 'Connection refused: bad user name or password (CONNACK 4)'],
  ECONAUTH: [0, 'Connection refused: not authorized (CONNACK 5)'],
  ECONNOT: [RETRYABLE, 'Not connected: call connect() first'],
  ECONLENGTH: [RETRYABLE, 'The broker answered CONNECT with something other than a valid CONNACK'],
  ECONTIMEOUT: [RETRYABLE, 'No CONNACK arrived within socketTimeoutMs'],
  ESUBACKUNKNOWN: [RETRYABLE, 'The broker sent a SUBACK with an unknown return code or count'],
  ESUBACKFAIL: [0, 'The broker refused the subscription (SUBACK 0x80)'],
  EMALFORMED: [RETRYABLE, 'The broker sent a malformed packet'],
  EOVERSIZE: [RETRYABLE, 'The broker sent a packet larger than maxPacketBytes'],
  ETOPIC: [INPUT, 'Invalid topic name'],
  EFILTER: [INPUT, 'Invalid topic filter'],
  EQOS: [INPUT, 'Invalid QoS: only 0, 1 and 2 exist'],
  ECLIENTID: [INPUT, 'Invalid client identifier'],
  EPAYLOAD: [INPUT, 'Invalid payload: a string, Uint8Array, ArrayBuffer or DataView is needed'],
  ETOOLARGE: [INPUT, 'The packet would be larger than 268,435,455 bytes, the most MQTT can carry'],
  EOPTION: [INPUT, 'Invalid option'],
  ENOPID: [RETRYABLE, 'All 65,535 packet identifiers are in flight'],
  EDNS: [RETRYABLE, "The broker's host name could not be resolved"],
  ECONNREFUSED: [RETRYABLE, 'The broker refused the TCP connection (nothing listens on that port)'],
  ETLS: [0, 'The TLS handshake failed, or one side of the connection does not speak TLS'],
  ECERT: [0, "The broker's TLS certificate was not accepted"],
  ESOCKETTIMEOUT: [RETRYABLE, 'The network connection was not established within socketTimeoutMs'],
  EWRONGPORT: [
    0,
    'The port speaks another protocol than the URL asks for (MQTT over TCP or over WebSocket): the message says which URL to use',
  ],
  ECLOSED: [0, 'The client was closed'],
  EACKTIMEOUT: [RETRYABLE, 'No acknowledgement arrived within messageTimeoutMs while connected: the link is suspect'],
  EQUEUEFULL: [0, 'The queue of messages waiting to be sent is full'],
  EDROPPED: [0, 'The message was dropped from the queue of messages waiting to be sent'],
  EDISCONNECT: [RETRYABLE, 'MQTT 5: the broker closed the connection with a DISCONNECT; its reasonCode and reasonString say why'],
  EREFUSED: [0, 'MQTT 5: the broker refused the connection with a reason code no other error names (see reasonCode)'],
  EBANNED: [0, 'MQTT 5: connection refused: this client is banned (CONNACK 0x8A)'],
  ESERVERBUSY: [RETRYABLE, 'MQTT 5: the broker is busy (0x89): try again later'],
  EBADAUTHMETHOD: [0, 'MQTT 5: connection refused: the authentication method is not supported (CONNACK 0x8C)'],
  EQUOTA: [RETRYABLE, 'MQTT 5: a quota of the broker is exceeded (0x97): try again later'],
  ERATELIMIT: [RETRYABLE, 'MQTT 5: connecting or publishing too often (0x9F connection rate, 0x96 message rate): try again later'],
  EUSESERVER: [RETRYABLE, 'MQTT 5: the broker asks the client to use another server (0x9C), named by serverReference if given'],
  ESERVERMOVED: [RETRYABLE, 'MQTT 5: the server has moved (0x9D) to serverReference'],
  ESESSIONTAKEN: [RETRYABLE, 'MQTT 5: another connection with the same client identifier took the session over (DISCONNECT 0x8E)'],
  ESHUTDOWN: [RETRYABLE, 'MQTT 5: the broker is shutting down (DISCONNECT 0x8B)'],
  ENOTSUPPORTED: [INPUT, "MQTT 5: the broker's CONNACK says it does not offer this (a QoS, retain, wildcards, shared subscriptions, subscription identifiers)"],
  ETIMEOUT: [RETRYABLE, 'MQTT 5: no response to a request() within its timeoutMs'],
  EEXPIRED: [0, 'MQTT 5: the message waited in the queue past its messageExpiryInterval and was dropped unsent'],
  EREJECTED: [0, 'MQTT 5: the broker refused the message (PUBACK or PUBREC reason code ≥ 0x80, see reasonCode and reasonString)'],
  ESTORE: [0, "The client's store failed: it cannot be opened (locked, corrupt, unreadable), belongs to another client id, or a write failed (cause says why)"],
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
export const isRetryable = (error: unknown): boolean => hasKind(error, RETRYABLE)

/**
 * Whether the error is about the caller's input (a topic, filter, QoS, payload, client id or
 * option refused before a byte was sent): the same call would fail the same way. Takes an error
 * (any value) or an error number.
 */
export const isInputError = (error: unknown): boolean => hasKind(error, INPUT)

function hasKind(error: unknown, kind: number): boolean {
  // By number, not by symbol: an error made by another copy of this package may carry a
  // symbol this copy does not know.
  const errno = typeof error === 'number' ? error : isMqttError(error) ? error.errno : undefined
  const code = errno === undefined ? undefined : codeOf(errno)
  return code !== undefined && (meanings[code][0] & kind) !== 0
}
