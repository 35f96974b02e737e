import type { Link } from '../transport/link.js'

/**
 * Resolves `true` once the link's write buffer has drained (or the link closed), `false` when
 * `ms` pass first. Leaves no timer behind either way.
 */
export async function drained(link: Link, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))
  try {
    return await Promise.race([link.drain().then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}

/** Ends a link after what was written, waiting at most `ms` for the other side; then it is destroyed. */
export async function endWithin(link: Link, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([link.end(), new Promise((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
  link.destroy()
}
