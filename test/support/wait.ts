/**
 * Bounded waits for tests: every wait has a deadline, polls at a short interval, and leaves no
 * timer behind whichever way it ends.
 */

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `done()` until it is true; throws `Timed out after N ms waiting for <what>` at the deadline. */
export async function waitFor(done: () => boolean, what: string, timeoutMs = 5000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(Math.min(everyMs, left))
  }
}

/** Resolves or rejects as `promise` does, or rejects with `Timed out … <what>` after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}
