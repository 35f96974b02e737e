import pRetry from 'p-retry'
import { MqttError, isRetryable } from '@x/simple'
import { mqttErrorOf, type ReconnectInfo } from './events.js'
import { retryOptionsOf, type ReconnectOptions } from './options.js'

/** One connection attempt: resolves whether the broker resumed the session. */
export type Attempt = () => Promise<boolean>

/** What the caller hears of the attempts. */
export interface AttemptHooks {
  /** Before each attempt but the very first of a client's life. */
  reconnecting(info: ReconnectInfo): void
  /** An attempt failed with an error no retry can fix; `reconnect()` goes on trying regardless. */
  unfixable(error: unknown): void
  /** The server of the current (or last) attempt, as it may be printed. */
  server(): string
}

/**
 * The wait after `failures` failed attempts (1 or more), as p-retry computes it: `minDelayMs`
 * × `factor` ^ (failures − 1), times a random 1..2 with jitter, at most `maxDelayMs`.
 */
export function backoffMs(o: Required<ReconnectOptions>, failures: number): number {
  const random = o.jitter ? 1 + Math.random() : 1
  return Math.min(o.maxDelayMs, Math.round(random * o.minDelayMs * o.factor ** (failures - 1)))
}

/**
 * The first connection of a client: tried with the backoff while the error is one a retry can
 * fix; rejects at once with one it cannot (bad credentials, not authorized, a TLS failure…), or
 * with the signal's reason when `signal` aborts. A deadline's reason (`AbortSignal.timeout()`)
 * passed after attempts carries what they met, `cause` (the last attempt's error) and `attempts`:
 * a bare TimeoutError would hide a typo in the address.
 */
export async function connectFirst(
  attempt: Attempt,
  o: Required<ReconnectOptions>,
  signal: AbortSignal,
  hooks: AttemptHooks,
): Promise<boolean> {
  let attempts = 0
  let error: MqttError | undefined
  let failedAt = 0
  try {
    return await pRetry(
      (n) => {
        attempts = n
        // The first try is the connect() itself; attempts count from the first after a failure.
        if (n > 1 && error) hooks.reconnecting({ attempt: n - 1, delayMs: Date.now() - failedAt, error, server: hooks.server() })
        return attempt()
      },
      {
        ...retryOptionsOf(o),
        signal,
        onFailedAttempt: (context) => {
          // An attempt cut short by the signal failed for no reason of its own.
          if (signal.aborted) return
          error = mqttErrorOf(context.error)
          failedAt = Date.now()
        },
        shouldRetry: (context) => isRetryable(context.error),
      },
    )
  } catch (failure) {
    if (!signal.aborted) throw failure
    // Nothing tried (the signal had aborted before the call), or the caller's own reason: as it is.
    if (!attempts || !isTimeout(signal.reason)) throw signal.reason
    throw withAttempts(signal.reason as object, attempts, error)
  }
}

/** Whether an abort reason is a deadline that passed (`AbortSignal.timeout()`), as opposed to a caller's decision. */
const isTimeout = (reason: unknown): boolean => (reason as { name?: unknown } | undefined)?.name === 'TimeoutError'

/**
 * The deadline's reason, still the one the signal holds (code may compare them), with what the
 * attempts met: `cause`, the last attempt's error (unless the reason has a cause of its own, or
 * the first attempt was still under way), and `attempts`. A reason that takes no property stays
 * as it is.
 */
function withAttempts(reason: object, attempts: number, last: MqttError | undefined): object {
  const add = (name: string, value: unknown): unknown =>
    Object.defineProperty(reason, name, { value, writable: true, configurable: true, enumerable: false })
  try {
    // A reason shared with other waits keeps what the first wrote.
    if ((reason as { attempts?: unknown }).attempts !== undefined) return reason
    if (last && (reason as { cause?: unknown }).cause === undefined) add('cause', last)
    add('attempts', attempts)
  } catch {
    // frozen: as it is
  }
  return reason
}

/**
 * Connects again after the link was lost, trying for ever (the broker may be fixed while we
 * wait) until `signal` aborts. `shortLived` counts the connections in a row that died soon after
 * CONNACK: they do not reset the backoff, so the first attempt waits as if each had been a failed
 * attempt, and a link that keeps dying cannot cause a tight reconnect loop.
 */
export async function reconnect(
  attempt: Attempt,
  o: Required<ReconnectOptions>,
  shortLived: number,
  cause: unknown,
  signal: AbortSignal,
  hooks: AttemptHooks,
): Promise<boolean> {
  let error = mqttErrorOf(cause)
  let failedAt = Date.now()
  if (shortLived) await sleep(backoffMs(o, shortLived), signal)
  return pRetry(
    (n) => {
      hooks.reconnecting({ attempt: n, delayMs: Date.now() - failedAt, error, server: hooks.server() })
      return attempt()
    },
    {
      ...retryOptionsOf(o),
      // p-retry's own waits go on from where the short-lived connections left the backoff.
      minTimeout: Math.min(o.maxDelayMs, o.minDelayMs * o.factor ** shortLived),
      signal,
      onFailedAttempt: (context) => {
        error = mqttErrorOf(context.error)
        failedAt = Date.now()
        if (!isRetryable(error) && !signal.aborted) hooks.unfixable(error)
      },
    },
  )
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts; leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', abort)
    }
    const abort = (): void => {
      done()
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      done()
      resolve()
    }, ms)
    signal.addEventListener('abort', abort)
    if (signal.aborted) abort()
  })
}
