/**
 * Memory of a publishing client: run in a child process of its own per library (node
 * --expose-gc), it connects one publisher through the broker (no subscriber: the broker
 * acknowledges QoS 1 whether anyone listens or not, so nothing but the publisher is in this
 * process), publishes MESSAGES QoS 1 messages of 64 B keeping WINDOW outstanding, and prints as
 * JSON on stdout, each as growth over the process before connecting (after gc):
 * - peakHeap: the highest heap used seen while connecting and publishing (garbage included: what a
 *   program must have room for), sampled every few ms and every SAMPLE_EVERY messages;
 * - heapAfter: heap used after the last acknowledgement and a gc, still connected (what it keeps);
 * - peakRss: the highest resident set size seen, which is where native memory shows (LevelDB's
 *   caches and buffers for a LevelStore) and V8's heap as the system sees it.
 *
 *   node --expose-gc --import tsx heap/publishing-client.ts <library> <url> [messages]
 *
 * <library> is a name of lib/libraries.ts's LIBRARIES, or `@x/robust with a LevelStore`.
 */
import { bundledLibraries, bundledLibrariesDurable } from '../lib/bundle.js'
import type { Library } from '../lib/libraries.js'
import { keepOutstanding } from '../pubsub/keep-outstanding.js'
import { DURABLE } from './measure.js'
import { settle } from './settle.js'

const [name, url, count] = process.argv.slice(2) as [string, string, string | undefined]
const MESSAGES = Number(count ?? 20_000)
const WINDOW = 100
const SAMPLE_EVERY = 250
const SAMPLE_MS = 5
// At SAMPLE_MS, 20 s of samples; the run's own deadline below ends it before that.
const MAX_TIMED_SAMPLES = 4000
const DEADLINE_MS = 60_000

// Every library's module (MQTT.js, ours, level and its native binding) is loaded before the baseline.
const library: Library | undefined =
  name === DURABLE
    ? (await bundledLibrariesDurable()).find((l) => l.name === '@x/robust')
    : (await bundledLibraries()).find((l) => l.name === name)
if (!library) throw new Error(`no library ${name}`)

const before = await settle()
let peakHeap = before.heapUsed
let peakRss = before.rss
let samples = 0
const sample = (): void => {
  const now = process.memoryUsage()
  samples++
  if (now.heapUsed > peakHeap) peakHeap = now.heapUsed
  if (now.rss > peakRss) peakRss = now.rss
}
let timedSamples = 0
const sampler = setInterval(() => {
  sample()
  if (++timedSamples >= MAX_TIMED_SAMPLES) clearInterval(sampler)
}, SAMPLE_MS)

const deadline = setTimeout(() => {
  console.error(`${name}: not every publish acknowledged within ${DEADLINE_MS} ms`)
  process.exit(1)
}, DEADLINE_MS)

const publisher = await library.connect(url, `pub-mem-${process.pid}`)
sample()
const payload = new Uint8Array(64).fill(97)
await new Promise<void>((resolve) =>
  keepOutstanding(publisher, `bench/mem/${process.pid}`, payload, 1, MESSAGES, WINDOW, (completed) => {
    if (completed % SAMPLE_EVERY === 0) sample()
    if (completed === MESSAGES) resolve()
  }),
)
sample()
clearInterval(sampler)
clearTimeout(deadline)
const after = await settle()
console.log(
  JSON.stringify({
    name,
    messages: MESSAGES,
    samples,
    peakHeap: peakHeap - before.heapUsed,
    heapAfter: after.heapUsed - before.heapUsed,
    peakRss: Math.max(peakRss, after.rss) - before.rss,
  }),
)
await publisher.close()
