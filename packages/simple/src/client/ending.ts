import type { Link } from '../transport/link.js'
import { endWithin } from './back-pressure.js'
import type { Core } from './core.js'

/**
 * Ends a link the client has left (DISCONNECT written), waiting at most socketTimeoutMs for the
 * broker to close its side. Until then the link is the client's: a `disconnect()` that comes
 * meanwhile cuts it short, so that nothing outlives it.
 */
export async function endLeft(core: Core, link: Link): Promise<void> {
  core.ending.add(link)
  try {
    await endWithin(link, core.o.socketTimeoutMs)
  } finally {
    core.ending.delete(link)
  }
}

/** Destroys every link still ending: after `disconnect()` no socket or timer is left, whatever came before. */
export function cutEnding(core: Core): void {
  for (const link of core.ending) link.destroy()
}
