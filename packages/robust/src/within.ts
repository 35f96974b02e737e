import type { MqttError } from '@x/simple'

/**
 * `work`, or the deadline's error after `ms` (Infinity: no deadline), or the signal's reason when
 * it aborts; leaves no timer or listener behind.
 */
export function within<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined, late: () => MqttError): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', abort)
    }
    const abort = (): void => {
      done()
      reject(signal?.reason)
    }
    const timer =
      ms === Infinity
        ? undefined
        : setTimeout(() => {
            done()
            reject(late())
          }, ms)
    signal?.addEventListener('abort', abort)
    if (signal?.aborted) abort()
    // Settling after the deadline changes nothing, and a late rejection is not left unhandled.
    work.then(
      (value) => {
        done()
        resolve(value)
      },
      (error: unknown) => {
        done()
        reject(error)
      },
    )
  })
}
