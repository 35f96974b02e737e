/**
 * Bounded waits: every wait in the examples has a deadline, and leaves no timer behind
 * whichever way it ends.
 */

/** Resolves as `promise` does, or rejects with `message` after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `done()` every `everyMs` until it is true; false if `ms` passed first. */
export async function waitUntil(done: () => boolean, ms: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, Math.min(everyMs, deadline - Date.now())))
  }
  return true
}
