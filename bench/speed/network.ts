/**
 * Measures over a real broker, each for one client library: messages delivered per second
 * (publisher and subscriber of the same library), round-trip latency, and connect time.
 */
import type { QoS } from '@x/simple'
import type { ClientFactory } from '../lib/clients.js'

let sequence = 0
const unique = (prefix: string): string => `${prefix}-${process.pid}-${++sequence}`

/** Time (ms) to deliver `count` messages of `size` bytes: publisher to subscriber, all received. */
export async function throughput(factory: ClientFactory, url: string, count: number, size: number, qos: QoS): Promise<number> {
  const topic = unique('bench/throughput')
  const subscriber = await factory(url, unique('sub'))
  const publisher = await factory(url, unique('pub'))
  try {
    await subscriber.subscribe(topic, qos)
    let received = 0
    let done = (): void => {}
    const all = new Promise<void>((resolve) => (done = resolve))
    subscriber.onMessage(() => {
      if (++received === count) done()
    })
    const payload = new Uint8Array(size).fill(97)
    const started = performance.now()
    const sent: Array<Promise<void>> = []
    for (let i = 0; i < count; i++) sent.push(publisher.publish(topic, payload, qos))
    await Promise.all(sent)
    await withDeadline(all, 30_000, `${count} messages`)
    return performance.now() - started
  } finally {
    await publisher.close()
    await subscriber.close()
  }
}

/** Round trips (ms): publish QoS 0 to a topic the same client subscribes to, one at a time. */
export async function roundTrips(factory: ClientFactory, url: string, count: number): Promise<number[]> {
  const topic = unique('bench/rtt')
  const client = await factory(url, unique('rtt'))
  try {
    await client.subscribe(topic, 0)
    let arrived = (): void => {}
    client.onMessage(() => arrived())
    const payload = new Uint8Array(16)
    const samples: number[] = []
    for (let i = 0; i < count; i++) {
      const back = new Promise<void>((resolve) => (arrived = resolve))
      const started = performance.now()
      await client.publish(topic, payload, 0)
      await withDeadline(back, 5000, 'a round trip')
      samples.push(performance.now() - started)
    }
    return samples
  } finally {
    await client.close()
  }
}

/** Time (ms) from nothing to connected (CONNACK), then closed outside the measure. */
export async function connectTime(factory: ClientFactory, url: string): Promise<number> {
  const started = performance.now()
  const client = await factory(url, unique('connect'))
  const took = performance.now() - started
  await client.close()
  return took
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms))),
    ])
  } finally {
    clearTimeout(timer)
  }
}
