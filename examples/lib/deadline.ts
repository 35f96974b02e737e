/**
 * Bounded waits: every wait in the examples (and in the tests, which use these too) has a
 * deadline, and leaves no timer behind whichever way it ends. The real timer functions are taken
 * when this module loads, so a test that fakes the timers still gets real deadlines.
 */

const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

/** What `withDeadline()` throws when the deadline passes first. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
}

/** Resolves or rejects as `promise` does, or rejects with `Timed out after N ms waiting for <what>`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = realSetTimeout(() => reject(new DeadlineError(`Timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    realClearTimeout(timer)
  }
}

/** Polls `done()` every `everyMs` until it is true; false if `ms` passed first. */
export async function waitUntil(done: () => boolean, ms: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => realSetTimeout(resolve, Math.min(everyMs, deadline - Date.now())))
  }
  return true
}
