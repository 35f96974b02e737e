import pRetry from 'p-retry'
import { isRetryable } from '@x/simple'
import type { ReconnectInfo } from './events.js'
import { retryOptionsOf, type ReconnectOptions } from './options.js'

/** One connection attempt: resolves whether the broker resumed the session. */
export type Attempt = () => Promise<boolean>

/** What the caller hears of the attempts. */
export interface AttemptHooks {
  /** Before each attempt but the very first of a client's life. */
  reconnecting(info: ReconnectInfo): void
  /** An attempt failed with an error no retry can fix; `reconnect()` goes on trying regardless. */
  unfixable(error: unknown): void
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
 * with the signal's reason when `signal` aborts.
 */
export function connectFirst(attempt: Attempt, o: Required<ReconnectOptions>, signal: AbortSignal, hooks: AttemptHooks): Promise<boolean> {
  let error: unknown
  let failedAt = 0
  return pRetry(
    (n) => {
      // The first try is the connect() itself; attempts count from the first after a failure.
      if (n > 1) hooks.reconnecting({ attempt: n - 1, delayMs: Date.now() - failedAt, error })
      return attempt()
    },
    {
      ...retryOptionsOf(o),
      signal,
      onFailedAttempt: (context) => {
        error = context.error
        failedAt = Date.now()
      },
      shouldRetry: (context) => isRetryable(context.error),
    },
  )
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
  let error = cause
  let failedAt = Date.now()
  if (shortLived) await sleep(backoffMs(o, shortLived), signal)
  return pRetry(
    (n) => {
      hooks.reconnecting({ attempt: n, delayMs: Date.now() - failedAt, error })
      return attempt()
    },
    {
      ...retryOptionsOf(o),
      // p-retry's own waits go on from where the short-lived connections left the backoff.
      minTimeout: Math.min(o.maxDelayMs, o.minDelayMs * o.factor ** shortLived),
      signal,
      onFailedAttempt: (context) => {
        error = context.error
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
