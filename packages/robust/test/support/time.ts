/**
 * Waiting in tests: every wait has a deadline in real time, whether or not the test has installed
 * fake timers (the real functions are captured when this module loads, before any test runs).
 */

export const realSetImmediate = globalThis.setImmediate
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout
const realNow = performance.now.bind(performance)

/** Lets every pending promise chain run: a few real macrotasks (works under fake timers too). */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => realSetImmediate(resolve))
}

/** Waits (in real time, at most `timeoutMs`) until `predicate()` holds; fails naming `what` otherwise. */
export async function eventually(predicate: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = realNow() + timeoutMs
  while (!predicate()) {
    if (realNow() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`)
    await new Promise<void>((resolve) => realSetTimeout(resolve, 2))
  }
}

/** What `within()` throws when the deadline passes first. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
}

/** `promise`, or a DeadlineError naming `what` once `timeoutMs` of real time has passed. */
export async function within<T>(timeoutMs: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new DeadlineError(`Still pending after ${timeoutMs} ms: ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    realClearTimeout(timer)
  }
}

/** The outcome of a promise by now, without waiting: 'pending', or how it settled. */
export function inspect<T>(
  promise: Promise<T>,
): () => { state: 'pending' } | { state: 'resolved'; value: T } | { state: 'rejected'; error: unknown } {
  let outcome: { state: 'pending' } | { state: 'resolved'; value: T } | { state: 'rejected'; error: unknown } = { state: 'pending' }
  promise.then(
    (value) => (outcome = { state: 'resolved', value }),
    (error: unknown) => (outcome = { state: 'rejected', error }),
  )
  return () => outcome
}

/** Real time now in ms (immune to fake timers). */
export const now = realNow
