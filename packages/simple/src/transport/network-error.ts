import { MqttError, type ErrorCode } from '@x/errno'

/**
 * What Node's socket and TLS errors mean for a client: the code, where, and what to do about the
 * failures users meet. Shared by the TCP/TLS transport and, in Node, the WebSocket one; it imports
 * no `node:` module, only reads the error codes Node sets.
 */

// Node's certificate verification failures: the broker's certificate was not accepted.
const CERT_ERROR = /^(CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|INVALID_CA|ERR_TLS_CERT)/

export type SocketError = Error & { code?: string }

// What to do about the TLS failures users meet, by Node's error code.
const TLS_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/CERTIFICATE_REQUIRED$/, 'the broker requires a client certificate: pass tls.cert and tls.key'],
  [
    /ALERT_(BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED)$/,
    'the broker refused our client certificate: check tls.cert and tls.key, and that the broker trusts their CA',
  ],
  [
    /^(SELF_SIGNED|DEPTH_ZERO|UNABLE_TO_(VERIFY|GET_ISSUER))/,
    "the broker's certificate is not signed by a CA this client trusts: pass that CA as tls.ca",
  ],
  [/ALTNAME_INVALID$/, "the broker's certificate is not for this host name: connect by a name it lists, or set tls.servername to one"],
  [/^CERT_HAS_EXPIRED$/, "the broker's certificate has expired"],
  [/^CERT_NOT_YET_VALID$/, "the broker's certificate is not valid yet: is this machine's clock right?"],
]

/** Whether a TLS error says the server answered in plain bytes, not in TLS records: it is no TLS port. */
export const answeredPlain = (error: SocketError): boolean =>
  /WRONG_VERSION_NUMBER/i.test(error.code ?? '') || (error.code === 'EPROTO' && /wrong version number/.test(error.message))

/** An MqttError for a socket error: which code, where, what to do about it, and the system error as the cause. */
export function networkError(error: SocketError | undefined, where: string, up: boolean): MqttError {
  if (error instanceof MqttError) return error
  const code = error?.code ?? ''
  const cert = CERT_ERROR.test(code)
  // A plain server answering a TLS handshake: the bytes prove it is no TLS port.
  const plain = !!error && answeredPlain(error)
  const tlsFailure = cert || plain || /^ERR_(SSL|TLS)_/.test(code)
  const kind: ErrorCode = cert
    ? 'ECERT'
    : tlsFailure
      ? 'ETLS'
      : up
        ? 'ECONCLOSE'
        : code === 'ENOTFOUND' || code.startsWith('EAI_')
          ? 'EDNS'
          : code === 'ECONNREFUSED'
            ? 'ECONNREFUSED'
            : 'ENOCON'
  // OpenSSL's own text ("80EC…:error:0A00045C:SSL routines:…:tlsv13 alert certificate required:…") shortened to its reason.
  const said = error ? (/SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1] ?? error.message) : 'closed by the broker'
  const hint = plain
    ? `it does not speak TLS (it answered in plain bytes); connect without TLS (${where.startsWith('wss:') ? 'ws://' : 'mqtt://'})`
    : tlsFailure
      ? TLS_HINTS.find(([pattern]) => pattern.test(code))?.[1]
      : undefined
  // A TLS failure is a failure to connect, even when TLS 1.3 reports it after the handshake.
  const connecting = !up || tlsFailure
  const message = `${connecting ? 'Cannot connect to' : 'Connection to'} ${where}: ${hint ? `${hint} (${said})` : said}`
  return new MqttError(kind, message, connecting ? { cause: error, operation: 'connect' } : { cause: error })
}
