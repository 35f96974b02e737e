import type { QoS } from '@x/simple'
import type { Side } from '../lib/libraries.js'

/**
 * Publishes `count` messages keeping `window` outstanding: a new one as each is delivered (QoS 0:
 * handed over; QoS 1/2: acknowledged). `delivered` hears each delivery with the number so far.
 * Some libraries deliver synchronously, inside `publish()`: a loop, not recursion.
 */
export function keepOutstanding(
  publisher: Side,
  topic: string,
  payload: Uint8Array,
  qos: QoS,
  count: number,
  window: number,
  delivered: (completed: number) => void = () => {},
): void {
  let started = 0
  let completed = 0
  let pumping = false
  const pump = (): void => {
    if (pumping) return
    pumping = true
    while (started < count && started - completed < window) {
      started++
      publisher.publish(topic, payload, qos, done)
    }
    pumping = false
  }
  const done = (): void => {
    delivered(++completed)
    pump()
  }
  pump()
}
