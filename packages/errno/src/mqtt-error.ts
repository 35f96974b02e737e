import { Errno, type ErrorCode } from './codes.js'

// A registry symbol, so that an error made by one copy of this package is recognised by another
// (two versions in one node_modules tree, or a bundled and an unbundled copy).
const brand = Symbol.for('@x/errno.MqttError')

/** What an operation was doing when it failed, where that helps. */
export interface MqttErrorDetails {
  /** The error that caused this one (a socket or TLS error, say). */
  cause?: unknown
  /** The CONNACK return code, for a refused connection. */
  returnCode?: number
  /** The packet identifier involved. */
  pid?: number
  /** The topic name or filter involved. */
  topic?: string
  /** The operation that failed: `'connect'`, `'publish'`, `'subscribe'`, … */
  operation?: string
  /** MQTT 5: the reason code of the CONNACK or DISCONNECT behind the error, or of the DISCONNECT the client sent. */
  reasonCode?: number
  /** MQTT 5: the broker's Reason String, when it sent one. */
  reasonString?: string
  /** MQTT 5: the broker's Server Reference (another server to use), when it sent one. */
  serverReference?: string
}

/**
 * The one error class of the MQTT client packages. `errno` is umqtt.simple2's number (or a new
 * one for a failure simple2 did not name), `code` its symbol, `message` says what failed and why.
 */
export class MqttError extends Error {
  override readonly name = 'MqttError'
  readonly errno: number
  readonly code: ErrorCode
  // `declare`: set only when known, so a logged error shows no empty fields.
  declare readonly returnCode?: number
  declare readonly pid?: number
  declare readonly topic?: string
  declare readonly operation?: string
  declare readonly reasonCode?: number
  declare readonly reasonString?: string
  declare readonly serverReference?: string

  constructor(code: ErrorCode, message: string, details: MqttErrorDetails = {}) {
    const { cause, ...context } = details
    super(message, cause === undefined ? undefined : { cause })
    this.code = code
    this.errno = Errno[code]
    Object.assign(this, context)
  }

  /** `instanceof MqttError` holds for errors made by any copy of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isMqttError(value)
  }
}

Object.defineProperty(MqttError.prototype, brand, { value: true })

/** Whether `value` is an MqttError, made by this copy of the package or any other. */
export function isMqttError(value: unknown): value is MqttError {
  return typeof value === 'object' && value !== null && brand in value
}
