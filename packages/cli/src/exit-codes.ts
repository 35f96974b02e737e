/**
 * Exit codes of `mqtt pub` / `mqtt sub`, and the message for each failure: a shell user can tell
 * a wrong password from a broker that is down from a bad topic by `$?` alone, and the message
 * says what to change. Chosen from the error's @x/errno `code`.
 */
import { describe, isMqttError, type ErrorCode, type MqttError } from '@x/simple'
import { inCliTerms } from './cli-terms.js'
import { reasonText } from './reason-codes.js'

export const EXIT = {
  /** Done: published (and acknowledged, for QoS 1/2), or received -C messages. */
  OK: 0,
  /** The connection failed after it was up, or the broker broke the protocol. */
  ERROR: 1,
  /** A bad command line: unknown flag, missing value, bad number, unreadable file. */
  USAGE: 2,
  /** An invalid topic name (pub) or topic filter (sub); the message names the rule. */
  TOPIC: 3,
  /** The broker cannot be reached: DNS, nothing listening, no answer in time. */
  UNREACHABLE: 4,
  /** The broker refused the login (bad user name or password, not authorized) or a subscription. */
  NOT_ALLOWED: 5,
  /** TLS failed: handshake, or the broker's certificate was not accepted. */
  TLS: 6,
  /** The broker refused the connection for another reason (protocol version, client id). */
  REFUSED: 7,
  /** -W passed: no (or too few) messages (sub), no acknowledgement (pub). mosquitto_sub's 27. */
  TIMEOUT: 27,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** A failure with its exit code and the message to print. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

const BY_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  ETOPIC: EXIT.TOPIC,
  EFILTER: EXIT.TOPIC,
  EQOS: EXIT.USAGE,
  ECLIENTID: EXIT.USAGE,
  EPAYLOAD: EXIT.USAGE,
  ETOOLARGE: EXIT.USAGE,
  ESTRTOLONG: EXIT.USAGE,
  EOPTION: EXIT.USAGE,
  EDNS: EXIT.UNREACHABLE,
  ECONNREFUSED: EXIT.UNREACHABLE,
  ENOCON: EXIT.UNREACHABLE,
  ESOCKETTIMEOUT: EXIT.UNREACHABLE,
  ECONTIMEOUT: EXIT.UNREACHABLE,
  ECONUNAVAILABLE: EXIT.UNREACHABLE,
  ECONCREDENTIALS: EXIT.NOT_ALLOWED,
  ECONAUTH: EXIT.NOT_ALLOWED,
  ESUBACKFAIL: EXIT.NOT_ALLOWED,
  ETLS: EXIT.TLS,
  ECERT: EXIT.TLS,
  ECONPROTOCOL: EXIT.REFUSED,
  ECONREJECT: EXIT.REFUSED,
  ECONUNKNOWN: EXIT.REFUSED,
  ECONLENGTH: EXIT.REFUSED,
  // MQTT 5 CONNACK refusals.
  EBANNED: EXIT.NOT_ALLOWED,
  EBADAUTHMETHOD: EXIT.NOT_ALLOWED,
  EREFUSED: EXIT.REFUSED,
  ESERVERBUSY: EXIT.REFUSED,
  EQUOTA: EXIT.REFUSED,
  ERATELIMIT: EXIT.REFUSED,
  EUSESERVER: EXIT.REFUSED,
  ESERVERMOVED: EXIT.REFUSED,
  ESHUTDOWN: EXIT.REFUSED,
  // Asked for what the broker's CONNACK does not offer (QoS 2, retain, wildcards…).
  ENOTSUPPORTED: EXIT.REFUSED,
}

/** What the user can do about it, by exit code. */
const HINTS: Partial<Record<ExitCode, string>> = {
  [EXIT.UNREACHABLE]: 'Is the broker running there? Check -h and -p (or -L).',
  [EXIT.NOT_ALLOWED]: 'Check -u and -P, and what the broker allows this user.',
  [EXIT.TLS]:
    "Check --cafile (the CA that signed the broker's certificate), --cert/--key, and that -h is the name in the certificate (--insecure skips only that name check).",
  [EXIT.REFUSED]: 'Check -i (client id), and -V: the MQTT version the broker speaks (311 or 5).',
}

/** The exit code and message for an error from the client (or a CliError as it is), in the CLI's flags. */
export function failureOf(error: unknown, where: string): CliError {
  if (error instanceof CliError) return error
  if (!isMqttError(error)) return new CliError(EXIT.ERROR, inCliTerms(error instanceof Error ? error.message : String(error)))
  const e = error as MqttError
  let code: ExitCode = BY_CODE[e.code as ErrorCode] ?? EXIT.ERROR
  let what = e.message
  // The meaning of the code, then what the system said (e.g. "connect ECONNREFUSED 127.0.0.1:1").
  const meaning = describe(e.errno).replace(/^./, (c) => c.toLowerCase())
  const detail = e.cause instanceof Error ? `${meaning}: ${e.cause.message}` : meaning
  let refusal = meaning.replace(/^connection refused: /, '')
  // MQTT 5: the broker's own reason code and reason string (and where it sends the client).
  if (e.reasonCode !== undefined) {
    const because = `reason code ${reasonText(e.reasonCode, e.reasonString)}${e.serverReference ? `, server reference ${JSON.stringify(e.serverReference)}` : ''}`
    refusal = `${refusal}; ${because}`
    // Unless the message says it already (the broker's refusals and DISCONNECTs do): once is enough.
    const said = what.includes(`0x${e.reasonCode.toString(16).padStart(2, '0')}`)
    if (!said && (e.code === 'ESUBACKFAIL' || e.code === 'EDISCONNECT' || code === EXIT.ERROR)) what = `${what}; ${because}`
  }
  // A very long topic is quoted in the message: shown shortened.
  if (code === EXIT.TOPIC) what = `invalid topic: ${e.message.replace(/"(?:[^"\\]|\\.){60,}"/g, (q) => `${q.slice(0, 41)}…"`)}`
  else if (code === EXIT.UNREACHABLE) what = `cannot reach the broker at ${where}: ${e.code === 'ECONTIMEOUT' ? e.message : detail}`
  else if (code === EXIT.NOT_ALLOWED && e.code !== 'ESUBACKFAIL') what = `the broker refused the login: ${refusal}`
  else if (code === EXIT.TLS) what = `TLS with ${where} failed: ${detail}`
  else if (code === EXIT.REFUSED) what = `the broker refused the connection: ${refusal}`
  else if (e.operation === 'connect' && (e.code === 'ECONCLOSE' || e.code === 'EKEEPALIVE')) {
    // Closed before CONNACK: often plain MQTT to a TLS port, or a broker that is not MQTT.
    code = EXIT.UNREACHABLE
    what = `the broker at ${where} closed the connection before accepting it (a TLS port? then add --cafile): ${e.message}`
  }
  const hint = HINTS[code]
  return new CliError(code, inCliTerms(`${what} [${e.code}, errno ${e.errno}]${hint ? `\n${hint}` : ''}`))
}
