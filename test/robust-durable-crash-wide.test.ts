/**
 * Durable sessions at a wider window (packages/robust/README.md, "Speed, and the window": where
 * the broker accepts more in flight, a larger `maxInFlight` lets more messages share each store
 * write). The same promise as at 20 must hold: a publisher with a LevelStore and `maxInFlight: 100`,
 * in a child process, SIGKILLed mid-stream at seeded moments while the broker is up and started
 * again on the same store; a subscriber with a persistent session receives every message, QoS 2
 * exactly once and QoS 1 at least once, in order per QoS. mosquitto runs with
 * `max_inflight_messages 100` (this test is about that setting: with its default 20 it would drop
 * QoS 2 beyond 20 from a 3.1.1 client). The same with the LevelStore's `sync: false` (its batches
 * resolve once the OS has LevelDB's log, not the disk): a dying process loses nothing either.
 * Seed: CRASH_SEED (default below).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { startPublisher, type Publisher } from './support/durable-children.js'
import { Prng } from './support/prng.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const SEED = Number(process.env['CRASH_SEED'] ?? 230_623)
const WINDOW = 100
const COUNT = 3000

let mosquitto: Mosquitto
let subscriber: RobustClient
let folder: string
/** What the subscriber received on each run's topic, by QoS: the sequence numbers in arrival order. */
interface Received {
  1: number[]
  2: number[]
  wrongQos: number
}
const runs = new Map<string, Received>()
const children: Publisher[] = []

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'x-crash-wide-'))
  mosquitto = await startMosquitto({ settings: [`max_inflight_messages ${WINDOW}`] })
  subscriber = new RobustClient({ clientId: uid('crash-wide-sub'), server: mosquitto.urls.plain, cleanSession: false })
  subscriber.on('message', (topic, payload, { qos }) => {
    const received = runs.get(topic)
    if (!received) return
    const [sent, n] = payload.toString().split(':').map(Number) as [1 | 2, number]
    received[sent].push(n)
    if (qos !== sent) received.wrongQos++
  })
  await subscriber.connect()
}, 30_000)

afterAll(async () => {
  for (const child of children) await child.kill()
  await subscriber?.close()
  await mosquitto?.stop()
  if (folder) rmSync(folder, { recursive: true, force: true })
})

const distinct = (list: number[]): number[] => [...new Set(list)]
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

test.each([{ sync: true }, { sync: false }])(
  `a publisher with a LevelStore (sync: $sync) and maxInFlight ${WINDOW}, SIGKILLed mid-stream three times and started again: every message arrives, QoS 2 exactly once, QoS 1 at least once, in order, and a restart resent more than 20 in flight`,
  async ({ sync }) => {
    const rng = new Prng(SEED + 7)
    const topic = `${uid('crash-wide')}/${sync ? 'sync' : 'nosync'}`
    const received: Received = { 1: [], 2: [], wrongQos: 0 }
    runs.set(topic, received)
    await subscriber.subscribe(topic, { qos: 2 })
    const store = join(folder, sync ? 'store' : 'store-nosync')
    const config = { url: mosquitto.urls.plain, clientId: uid('crash-wide-pub'), store, sync, topic, maxInFlight: WINDOW }
    const count = (): number => received[1].length + received[2].length
    const mine: Publisher[] = []
    const start = (extra: { count?: number } = {}): Publisher => {
      const child = startPublisher({ ...config, drain: true, ...extra })
      children.push(child)
      mine.push(child)
      return child
    }
    let child = start({ count: COUNT })
    const figures: string[] = []
    for (let kill = 0; kill < 3; kill++) {
      // A moment in the stream, each later than the last: some hundreds of messages on.
      const target = count() + rng.range(100, 400)
      await Promise.race([waitFor(() => count() >= target, `${target} messages at the subscriber`, 30_000, 1), child.finished])
      child.running.child.kill('SIGKILL')
      const finished = await child.finished
      expect(finished.signal, `kill ${kill} landed before the publisher drained`).toBe('SIGKILL')
      const at = count()
      child = start()
      await child.waitFor('restored', 20_000)
      const restored = child.restored()
      figures.push(`kill ${kill} at ${at} received: restored ${JSON.stringify(restored)}`)
    }
    await child.waitFor('drained', 60_000)
    await waitFor(
      () => received[2].length >= COUNT && distinct(received[1]).length >= COUNT,
      'every message at the subscriber',
      15_000,
    ).catch(() => {})
    await sleep(200) // a duplicate would come now
    console.log(
      [
        `seed ${SEED + 7}, maxInFlight ${WINDOW}, sync ${sync}: ${COUNT} + ${COUNT} messages, QoS 2 twice ${received[2].length - distinct(received[2]).length}, QoS 1 twice ${received[1].length - distinct(received[1]).length}`,
        ...figures,
      ].join('\n'),
    )
    expect(mine.flatMap((c) => c.running.stdout.split('\n').filter((l) => /^(drop|error) /.test(l)))).toEqual([])
    expect(received.wrongQos).toBe(0)
    expect(received[2]).toEqual(upTo(COUNT)) // exactly once, in order
    expect(distinct(received[1])).toEqual(upTo(COUNT)) // at least once, first arrivals in order
    // The window was in effect at a kill: a restart had more in flight than the default 20 allows.
    const inFlight = mine.map((c) => c.restored()?.inFlight ?? 0)
    expect(Math.max(...inFlight)).toBeGreaterThan(20)
  },
  120_000,
)
