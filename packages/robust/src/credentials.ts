import { MqttError } from '@x/simple'
import { within } from './within.js'

/** A user name, or a function giving the one to use for each connection attempt. */
export type UserOption = string | (() => string | Promise<string>)

/** A password, or a function giving the one to use for each connection attempt (a token that expires: JWT, SAS). */
export type PasswordOption = string | Uint8Array | (() => string | Uint8Array | Promise<string | Uint8Array>)

/** What one connection attempt logs in with: the values @x/simple takes. */
export interface Credentials {
  user?: string
  password?: string | Uint8Array
}

/**
 * Calls the functions for one attempt and resolves their values; rejects with an MqttError saying
 * which function failed, or with the signal's reason when it aborts first.
 */
export type CredentialSource = (server: string, signal: AbortSignal | undefined) => Promise<Credentials>

interface CredentialOptions {
  user?: unknown
  password?: unknown
  socketTimeoutMs?: number
}

/** What a value is, for a message: never the value itself (it may be a password). */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

const isPassword = (value: unknown): value is string | Uint8Array => typeof value === 'string' || value instanceof Uint8Array

/** EOPTION unless `user` and `password` are values of their type or functions; the message shows no value. */
export function checkCredentials({ user, password }: CredentialOptions): void {
  if (user !== undefined && typeof user !== 'string' && typeof user !== 'function')
    throw new MqttError('EOPTION', `Invalid option user: ${kindOf(user)} is not a string or a function returning one`)
  if (password !== undefined && !isPassword(password) && typeof password !== 'function')
    throw new MqttError('EOPTION', `Invalid option password: ${kindOf(password)} is not a string, a Uint8Array or a function returning one`)
}

/** @x/simple's default socketTimeoutMs: the credential functions get as long as a connection does. */
const DEFAULT_TIMEOUT_MS = 5000

/**
 * The source of the credentials when `user` or `password` is a function; `undefined` when both
 * are plain values (then nothing is called and no client is made per attempt).
 *
 * A function that throws, rejects or has not settled within `socketTimeoutMs` fails the attempt
 * with ENOCON, which is retryable: a token service that is briefly down is tried again with the
 * backoff, as a broker that is briefly down is. A value of the wrong type is EOPTION (a bug in
 * the function, which no retry fixes).
 */
export function credentialSourceOf(options: CredentialOptions): CredentialSource | undefined {
  const { user, password } = options
  if (typeof user !== 'function' && typeof password !== 'function') return undefined
  const timeoutMs = options.socketTimeoutMs ?? DEFAULT_TIMEOUT_MS
  return async (server, signal) => {
    const failed = (name: string, why: string, cause?: unknown): MqttError =>
      new MqttError('ENOCON', `Cannot connect to ${server}: the ${name} function ${why}`, {
        ...(cause !== undefined && { cause }),
        operation: 'connect',
      })
    const call = async (name: 'user' | 'password', option: unknown): Promise<unknown> => {
      if (typeof option !== 'function') return option
      let value: unknown
      try {
        value = await (option as () => unknown)()
      } catch (error) {
        // The cause's own message helps (the token service's error); the function's text never appears.
        throw failed(name, `failed${error instanceof Error ? `: ${error.message}` : ''}`, error)
      }
      if (name === 'user' ? typeof value === 'string' : isPassword(value)) return value
      const wanted = name === 'user' ? 'a string' : 'a string or a Uint8Array'
      throw new MqttError('EOPTION', `Invalid option ${name}: the function returned ${kindOf(value)}, not ${wanted}`, {
        operation: 'connect',
      })
    }
    const [u, p] = await within(Promise.all([call('user', user), call('password', password)]), timeoutMs, signal, () =>
      failed(
        typeof user === 'function' && typeof password === 'function'
          ? 'user or password'
          : typeof user === 'function'
            ? 'user'
            : 'password',
        `did not settle within ${timeoutMs} ms`,
      ),
    )
    return { ...(u !== undefined && { user: u as string }), ...(p !== undefined && { password: p as string | Uint8Array }) }
  }
}

/**
 * The `user` and `password` of a simple client: the plain values as they are; with a function,
 * `values`, those of the attempt under way (none outside one: such a client is never connected,
 * each attempt makes its own). No key for what is absent.
 */
export function simpleCredentialsOf(options: CredentialOptions, values?: Credentials): Credentials {
  if (typeof options.user === 'function' || typeof options.password === 'function') return { ...values }
  const { user, password } = options as Credentials
  return { ...(user !== undefined && { user }), ...(password !== undefined && { password }) }
}
