import { MqttError } from '@x/errno'
import type { Link } from './link.js'

/**
 * What a link holds only while it opens, the same for every transport: the transport's promise,
 * the deadline (socketTimeoutMs) and the abort signal. Dropped once the link is up, so an idle
 * connection keeps none of it.
 */
export interface Opening {
  readonly resolve: (link: Link) => void
  readonly reject: (error: MqttError) => void
  readonly timer: ReturnType<typeof setTimeout>
  readonly signal: AbortSignal | undefined
  readonly onAbort: () => void
}

/**
 * Starts the deadline and listens to `signal`; `abandon` gets ESOCKETTIMEOUT or ECLOSED, saying
 * `where`. An already aborted signal abandons at once (after the caller has stored the opening).
 */
export function startOpening(
  where: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  resolve: (link: Link) => void,
  reject: (error: MqttError) => void,
  abandon: (error: MqttError) => void,
): Opening {
  const timer = setTimeout(
    () =>
      abandon(
        new MqttError('ESOCKETTIMEOUT', `Cannot connect to ${where}: no connection within ${timeoutMs} ms (socketTimeoutMs)`, {
          operation: 'connect',
        }),
      ),
    timeoutMs,
  )
  const onAbort = (): void =>
    abandon(new MqttError('ECLOSED', `Connect to ${where} aborted: the client was closed`, { operation: 'connect' }))
  signal?.addEventListener('abort', onAbort)
  if (signal?.aborted) queueMicrotask(onAbort)
  return { resolve, reject, timer, signal, onAbort }
}

/** The opening is over (up, or failed): its deadline and its signal listener go. */
export function endOpening<T extends Opening>(opening: T | undefined): T | undefined {
  if (opening) {
    clearTimeout(opening.timer)
    opening.signal?.removeEventListener('abort', opening.onAbort)
  }
  return opening
}
