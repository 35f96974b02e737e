/**
 * One pub→sub run: a publisher and a subscriber of the same library through the broker; the
 * publisher keeps `window` publishes outstanding (a new one as each is delivered), and the run
 * ends when the subscriber has received them all. Returns messages per second.
 */
import type { QoS } from '@x/simple'
import type { Library } from '../lib/libraries.js'

export interface Scenario {
  qos: QoS
  /** Payload bytes. */
  size: number
  /** Publishes outstanding at once. */
  window: number
  /** Messages per run. */
  count: number
}

let sequence = 0

/** Messages per second from the first publish to the last message received. */
export async function pubsub(library: Library, url: string, s: Scenario, timeoutMs = 60_000): Promise<number> {
  const id = `${process.pid}-${++sequence}`
  const topic = `bench/${id}`
  const subscriber = await library.connect(url, `sub-${id}`)
  const publisher = await library.connect(url, `pub-${id}`)
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    let received = 0
    let finished = (): void => {}
    const all = new Promise<void>((resolve) => (finished = resolve))
    await subscriber.subscribe(topic, s.qos, () => {
      if (++received === s.count) finished()
    })
    const payload = new Uint8Array(s.size).fill(97)
    let started = 0
    let completed = 0
    let pumping = false
    // Called when a publish is delivered; some libraries call it synchronously, so it loops
    // instead of recursing.
    const pump = (): void => {
      if (pumping) return
      pumping = true
      while (started < s.count && started - completed < s.window) {
        started++
        publisher.publish(topic, payload, s.qos, done)
      }
      pumping = false
    }
    const done = (): void => {
      completed++
      pump()
    }
    const t0 = performance.now()
    pump()
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${library.name}: ${received} of ${s.count} received after ${timeoutMs} ms`)), timeoutMs)
    })
    await Promise.race([all, late])
    return s.count / ((performance.now() - t0) / 1000)
  } finally {
    clearTimeout(timer)
    await publisher.close()
    await subscriber.close()
  }
}
