/**
 * One pub→sub run: a publisher and a subscriber of the same library through the broker; the
 * publisher keeps `window` publishes outstanding (a new one as each is delivered), and the run
 * ends when the subscriber has received them all. Returns messages per second, and the CPU time
 * this process spent per message over the same span (process.cpuUsage(): user + system, every
 * thread of the process: the event loop, libuv's pool, V8's helpers, and LevelDB's threads where a
 * LevelStore runs). The broker runs elsewhere (its own process), so its work is not in the figure.
 */
import type { QoS } from '@x/simple'
import type { Library } from '../lib/libraries.js'
import { keepOutstanding } from './keep-outstanding.js'

export interface Scenario {
  qos: QoS
  /** Payload bytes. */
  size: number
  /** Publishes outstanding at once. */
  window: number
  /** Messages per run. */
  count: number
}

export interface RunResult {
  /** Messages per second from the first publish to the last message received. */
  rate: number
  /** Microseconds of CPU (user + system) this process spent per message over the same span. */
  cpuPerMessage: number
}

let sequence = 0

/** One run: publisher and subscriber of `library` through the broker at `url`. */
export async function pubsub(library: Library, url: string, s: Scenario, timeoutMs = 60_000): Promise<RunResult> {
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
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    keepOutstanding(publisher, topic, payload, s.qos, s.count, s.window)
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${library.name}: ${received} of ${s.count} received after ${timeoutMs} ms`)), timeoutMs)
    })
    await Promise.race([all, late])
    // Read at once, before anything else runs: the same span as the rate.
    const cpu = process.cpuUsage(cpu0)
    const seconds = (performance.now() - t0) / 1000
    return { rate: s.count / seconds, cpuPerMessage: (cpu.user + cpu.system) / s.count }
  } finally {
    clearTimeout(timer)
    await publisher.close()
    await subscriber.close()
  }
}
