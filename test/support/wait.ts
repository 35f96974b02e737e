/**
 * Bounded waits for every test in the repository: each wait has a deadline in real time, polls
 * at a short interval, and leaves no timer behind whichever way it ends. The real timer functions
 * are captured when this module loads, so the waits work the same under vi.useFakeTimers().
 */

import { DeadlineError } from '../../examples/lib/deadline.js'

// One withDeadline for examples and tests alike.
export { DeadlineError, withDeadline } from '../../examples/lib/deadline.js'

export const realSetImmediate = globalThis.setImmediate
const realSetTimeout = globalThis.setTimeout

/** Real time now in ms (immune to fake timers). */
export const now = performance.now.bind(performance)

/** Resolves after `ms` of real time. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => realSetTimeout(resolve, ms))

/** Lets every pending promise chain run: a few real macrotasks (works under fake timers too). */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => realSetImmediate(resolve))
}

/**
 * Polls `done()` until it is true; throws a DeadlineError `Timed out after N ms waiting for <what>`
 * at the deadline. `done` may be async (a store read); a plain one is not awaited.
 */
export async function waitFor(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000, everyMs = 5): Promise<void> {
  const deadline = now() + timeoutMs
  for (;;) {
    const answer = done()
    if (typeof answer === 'boolean' ? answer : await answer) return
    const left = deadline - now()
    if (left <= 0) throw new DeadlineError(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(Math.min(everyMs, left))
  }
}

/** How a promise has settled by now, without waiting. */
export type Outcome<T> = { state: 'pending' } | { state: 'resolved'; value: T } | { state: 'rejected'; error: unknown }

/** Returns a function that tells how `promise` has settled by now. */
export function inspect<T>(promise: Promise<T>): () => Outcome<T> {
  let outcome: Outcome<T> = { state: 'pending' }
  promise.then(
    (value) => (outcome = { state: 'resolved', value }),
    (error: unknown) => (outcome = { state: 'rejected', error }),
  )
  return () => outcome
}
