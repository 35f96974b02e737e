/**
 * While `mqtt pub -l` waits for the next line, nothing else reads the link: a broker that went
 * away would be noticed only at the next line, which may never come (`tail -f log | mqtt pub -l`).
 * The watch keeps a waitMsg() under way, which the client wakes when the link fails.
 */
import type { MqttClient } from '@x/simple'

export interface LinkWatch {
  /** Rejects with the client's error when the link fails while watched; never resolves. */
  readonly lost: Promise<never>
  /** Stops watching; the wait under way ends with its packet, or at disconnect() at the latest. */
  stop(): void
  /** Settles when the last wait has ended. */
  readonly done: Promise<void>
}

export function watchLink(client: Pick<MqttClient, 'waitMsg'>): LinkWatch {
  let watching = true
  const loop = (async () => {
    // A timeout, so that no probing PINGREQ is sent with -k 0: the wait is woken by the failure.
    while (watching) await client.waitMsg(60_000)
  })()
  const lost = new Promise<never>((_, reject) => void loop.catch((error: unknown) => watching && reject(error)))
  lost.catch(() => undefined) // the caller races it; a failure between races is the one send() meets too
  return { lost, stop: () => void (watching = false), done: loop.catch(() => undefined) }
}
