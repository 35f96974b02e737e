/**
 * The fair bench (contract §5): @x/simple, @x/robust and MQTT.js side by side in the same run,
 * publisher and subscriber of the same library through one mosquitto daemon (in its own process),
 * a fixed number of publishes outstanding, payloads of 64 B to 64 KiB, QoS 0, 1 and 2; rounds
 * interleaved (each round runs every library once, in a rotating order), medians with min–max,
 * and at QoS 0 the reference, a bare socket writing pre-encoded packets, in the same rounds. Under
 * each pub→sub row, the CPU those same runs cost this process per message (publisher and subscriber;
 * the broker's process is not counted). Then the heap each idle connected client holds (1,000 of them,
 * a child process per library), the memory of one client publishing QoS 1 (a child process per
 * library and round: heap and RSS), and the codecs.
 * The WebSocket rows run the same way through aedes over `ws`, in a process of its own
 * (mosquitto's websockets listener does not start here), without the bare socket (TCP only).
 * The MQTT 5 rows run MQTT.js, @x/simple and @x/robust with `protocolVersion: 5` through the same mosquitto
 * daemon, as the MQTT 3.1.1 rows they are printed under (aedes speaks only 3.1.1).
 *
 *   pnpm bench
 */
import { startBenchBroker, type BenchBroker } from './lib/broker.js'
import { bundledLibraries, bundledLibrariesDurable, bundledLibrariesV5, bundledLibrariesWide } from './lib/bundle.js'
import { DURABLE, idleHeap, publishingMemory, type PublishingMemory } from './heap/measure.js'
import type { Library } from './lib/libraries.js'
import { median } from './lib/stats.js'
import { formatTable, type Row } from './lib/table.js'
import { startWebSocketBroker } from './lib/ws-broker.js'
import { ourCodec, theirCodec } from './speed/codec.js'
import { pubsub, type Scenario } from './pubsub/run.js'

const ROUNDS = 3

/** What is measured: the headline (64 B at window 100, each QoS), then one thing varied at a time; about a second a run. */

const SCENARIOS: Array<Scenario & { label: string }> = [
  { label: 'QoS 0, 64 B, 100 in flight', qos: 0, size: 64, window: 100, count: 150_000 },
  { label: 'QoS 1, 64 B, 100 in flight', qos: 1, size: 64, window: 100, count: 80_000 },
  { label: 'QoS 2, 64 B, 100 in flight', qos: 2, size: 64, window: 100, count: 40_000 },
  { label: 'QoS 1, 64 B, 1 in flight', qos: 1, size: 64, window: 1, count: 12_000 },
  { label: 'QoS 1, 64 B, 1,000 in flight', qos: 1, size: 64, window: 1000, count: 80_000 },
  { label: 'QoS 0, 1 KiB, 100 in flight', qos: 0, size: 1024, window: 100, count: 120_000 },
  { label: 'QoS 1, 1 KiB, 100 in flight', qos: 1, size: 1024, window: 100, count: 70_000 },
  { label: 'QoS 0, 64 KiB, 100 in flight', qos: 0, size: 65_536, window: 100, count: 12_000 },
  { label: 'QoS 1, 64 KiB, 100 in flight', qos: 1, size: 65_536, window: 100, count: 8_000 },
]

// MQTT 5, beside the MQTT 3.1.1 row of the same label without the prefix (same size, window and count).
const V5_SCENARIOS: Array<Scenario & { label: string }> = [
  { label: 'MQTT 5: QoS 1, 64 B, 100 in flight', qos: 1, size: 64, window: 100, count: 80_000 },
  { label: 'MQTT 5: QoS 2, 64 B, 100 in flight', qos: 2, size: 64, window: 100, count: 40_000 },
]

// Durable sessions: @x/robust with a LevelStore, beside the in-memory row of the same label without the prefix.
const DURABLE_SCENARIOS: Array<Scenario & { label: string }> = [
  { label: 'with a LevelStore: QoS 1, 64 B, 100 in flight', qos: 1, size: 64, window: 100, count: 40_000 },
  { label: 'with a LevelStore: QoS 2, 64 B, 100 in flight', qos: 2, size: 64, window: 100, count: 20_000 },
]

// The same at a wider window: @x/robust with maxInFlight 100 (100 on the wire, as MQTT.js has in
// these rows), in memory and with a LevelStore, under the durable row of the same QoS.
const WIDE = 'maxInFlight 100'
const WIDE_SCENARIOS: Array<Scenario & { label: string }> = [
  { label: `with ${WIDE}: QoS 1, 64 B, 100 in flight`, qos: 1, size: 64, window: 100, count: 40_000 },
  { label: `with ${WIDE}: QoS 2, 64 B, 100 in flight`, qos: 2, size: 64, window: 100, count: 20_000 },
]
const DURABLE_WIDE_SCENARIOS: Array<Scenario & { label: string }> = [
  { label: `with a LevelStore and ${WIDE}: QoS 1, 64 B, 100 in flight`, qos: 1, size: 64, window: 100, count: 40_000 },
  { label: `with a LevelStore and ${WIDE}: QoS 2, 64 B, 100 in flight`, qos: 2, size: 64, window: 100, count: 20_000 },
]
// And with the LevelStore's `sync: false` (nothing lost when the process dies; a power cut may lose
// the last moments): what the disk's sync costs the rows above.
const NOSYNC = 'a LevelStore (sync: false)'
const DURABLE_NOSYNC_WIDE_SCENARIOS: Array<Scenario & { label: string }> = [
  { label: `with ${NOSYNC} and ${WIDE}: QoS 1, 64 B, 100 in flight`, qos: 1, size: 64, window: 100, count: 40_000 },
  { label: `with ${NOSYNC} and ${WIDE}: QoS 2, 64 B, 100 in flight`, qos: 2, size: 64, window: 100, count: 20_000 },
]

/** The in-memory row a durable row is set against (issue 23: at least half its msg/s): same window, no store. */
function inMemoryOf(label: string): string | undefined {
  if (label.startsWith('with a LevelStore: ')) return label.slice('with a LevelStore: '.length)
  if (label.startsWith('with a LevelStore and ')) return `with ${label.slice('with a LevelStore and '.length)}`
  if (label.startsWith(`with ${NOSYNC} and `)) return `with ${label.slice(`with ${NOSYNC} and `.length)}`
  return undefined
}

// Over WebSocket the broker (aedes) is slower than mosquitto: fewer messages keep a run near a second.
const WEBSOCKET_SCENARIOS: Array<Scenario & { label: string }> = [
  { label: 'over WebSocket: QoS 0, 64 B, 100 in flight', qos: 0, size: 64, window: 100, count: 30_000 },
  { label: 'over WebSocket: QoS 1, 64 B, 100 in flight', qos: 1, size: 64, window: 100, count: 17_000 },
  { label: 'over WebSocket: QoS 2, 64 B, 100 in flight', qos: 2, size: 64, window: 100, count: 9_000 },
  { label: 'over WebSocket: QoS 1, 64 KiB, 100 in flight', qos: 1, size: 65_536, window: 100, count: 2_500 },
]

/** The CPU row printed under each pub→sub row: the same runs, µs of CPU of this process per message. */
const cpuLabel = (label: string): string => `${label}: CPU per message`

/**
 * Each scenario's rounds through `broker`, every library in a rotating order; per scenario a pair
 * of rows from the same runs: msg/s, and µs of CPU per message under it.
 */
async function measure(libraries: readonly Library[], broker: BenchBroker, scenarios: typeof SCENARIOS): Promise<Row[][]> {
  const pairs: Row[][] = []
  for (const s of scenarios) {
    const runs = libraries.filter((l) => l.qos.includes(s.qos))
    const rates = new Map(runs.map((l) => [l.name, [] as number[]]))
    const cpu = new Map(runs.map((l) => [l.name, [] as number[]]))
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round, so no library always runs right after another.
      for (let i = 0; i < runs.length; i++) {
        const library = runs[(i + round) % runs.length] as (typeof runs)[number]
        const run = await pubsub(library, broker.url, s)
        rates.get(library.name)?.push(run.rate)
        cpu.get(library.name)?.push(run.cpuPerMessage)
      }
    }
    pairs.push([
      { measure: s.label, unit: 'msg/s', higherIsBetter: true, samples: rates },
      { measure: cpuLabel(s.label), unit: 'µs', higherIsBetter: false, samples: cpu },
    ])
    console.error(`  ${s.label}: done`)
  }
  return pairs
}

const MEMORY_MESSAGES = 20_000
// 64 B each, 100 in flight, as heap/publishing-client.ts sends them (the header line and bench/README say so).
const MEMORY_LABEL = `memory, publishing ${MEMORY_MESSAGES.toLocaleString('en')} QoS 1`
const MEMORY_MEASURES: Array<[keyof PublishingMemory, string]> = [
  ['peakHeap', 'peak heap'],
  ['heapAfter', 'heap kept after gc'],
  ['peakRss', 'peak RSS'],
]

/**
 * The memory of one publishing client, a child process per library and round (heap/publishing-client.ts),
 * rounds interleaved as the speed runs; @x/robust with a LevelStore in a row of its own under each
 * in-memory row, in @x/robust's column, beside the same MQTT.js samples.
 */
async function publishingMemoryRows(url: string): Promise<Row[]> {
  const names = ['MQTT.js', '@x/simple', '@x/robust', DURABLE]
  const runs = new Map(names.map((n) => [n, [] as PublishingMemory[]]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] as string
      runs.get(name)?.push(await publishingMemory(name, url, MEMORY_MESSAGES))
    }
  }
  const of = (name: string, key: keyof PublishingMemory): number[] => (runs.get(name) ?? []).map((m) => m[key])
  return MEMORY_MEASURES.flatMap(([key, what]) => [
    {
      measure: `${MEMORY_LABEL}: ${what}`,
      unit: 'B',
      higherIsBetter: false,
      samples: new Map(['MQTT.js', '@x/simple', '@x/robust'].map((n) => [n, of(n, key)])),
    },
    {
      measure: `with a LevelStore: ${MEMORY_LABEL}: ${what}`,
      unit: 'B',
      higherIsBetter: false,
      samples: new Map([
        ['MQTT.js', of('MQTT.js', key)],
        ['@x/robust', of(DURABLE, key)],
      ]),
    },
  ])
}

const started = performance.now()
const libraries = await bundledLibraries()
const broker = await startBenchBroker()
// Pub→sub rows in pairs (msg/s, CPU per message), so that an MQTT 5 or durable pair goes under its pair.
const pairs: Row[][] = []
const rows: Row[] = []
let wsBrokerName = ''
try {
  pairs.push(...(await measure(libraries, broker, SCENARIOS)))
  if (broker.name.startsWith('mosquitto')) {
    // Each MQTT 5 pair right under its MQTT 3.1.1 pair.
    for (const pair of await measure(await bundledLibrariesV5(), broker, V5_SCENARIOS)) {
      const under = pairs.findIndex(([r]) => `MQTT 5: ${r?.measure}` === pair[0]?.measure)
      pairs.splice(under < 0 ? pairs.length : under + 1, 0, pair)
    }
  } else {
    console.error('  MQTT 5 rows: skipped (they need mosquitto; aedes speaks only MQTT 3.1.1)')
  }
  // Each durable pair right under its in-memory pair (and its MQTT 5 pair).
  for (const pair of await measure(await bundledLibrariesDurable(), broker, DURABLE_SCENARIOS)) {
    const plain = inMemoryOf(pair[0]?.measure ?? '')
    const under = pairs.findLastIndex(([r]) => r?.measure === plain || r?.measure === `MQTT 5: ${plain}`)
    pairs.splice(under < 0 ? pairs.length : under + 1, 0, pair)
  }
  // Each wider-window pair (in memory, then with a LevelStore) right under the durable pair of its QoS.
  const wide = await bundledLibrariesWide()
  const widePairs = [
    ...(await measure(wide.inMemory, broker, WIDE_SCENARIOS)),
    ...(await measure(wide.durable, broker, DURABLE_WIDE_SCENARIOS)),
    ...(await measure(wide.durableNoSync, broker, DURABLE_NOSYNC_WIDE_SCENARIOS)),
  ]
  for (const pair of widePairs) {
    // The scenario after the "with …" part, which may hold a colon of its own ("(sync: false)").
    const scenario = (pair[0]?.measure ?? '').replace(/^with .*?: (?=QoS)/, '')
    // After the rows "with …" of the same scenario: the durable one, and a wider one placed before.
    const under = pairs.findLastIndex(([r]) => r !== undefined && r.measure.startsWith('with ') && r.measure.endsWith(`: ${scenario}`))
    pairs.splice(under < 0 ? pairs.length : under + 1, 0, pair)
  }
  const wsBroker = await startWebSocketBroker()
  wsBrokerName = wsBroker.name
  try {
    pairs.push(
      ...(await measure(
        libraries.filter((l) => l.websocket),
        wsBroker,
        WEBSOCKET_SCENARIOS,
      )),
    )
  } finally {
    await wsBroker.stop()
  }
  rows.push(...pairs.flat())
  const heap = new Map<string, number[]>()
  for (const name of ['MQTT.js', '@x/simple', '@x/robust', 'bare socket']) heap.set(name, [await idleHeap(name, broker.url)])
  rows.push({ measure: 'heap per idle connected client (1,000)', unit: 'B', higherIsBetter: false, samples: heap })
  console.error('  heap per idle client: done')
  rows.push(...(await publishingMemoryRows(broker.url)))
  console.error('  memory while publishing: done')
} finally {
  await broker.stop()
}

// The codecs alone, no network: MQTT.js's (mqtt-packet) beside ours.
for (const size of [64, 1024]) {
  const decode = new Map<string, number[]>([
    ['MQTT.js', []],
    ['@x/simple', []],
  ])
  const encode = new Map<string, number[]>([
    ['MQTT.js', []],
    ['@x/simple', []],
  ])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, codec] of [
      ['MQTT.js', theirCodec],
      ['@x/simple', ourCodec],
    ] as const) {
      const times = codec(100_000, size)
      decode.get(name)?.push(100_000 / (times.decodeMs / 1000))
      encode.get(name)?.push(100_000 / (times.encodeMs / 1000))
    }
  }
  rows.push({ measure: `codec: decode PUBLISH, ${size} B`, unit: 'pkt/s', higherIsBetter: true, samples: decode })
  rows.push({ measure: `codec: encode PUBLISH, ${size} B`, unit: 'pkt/s', higherIsBetter: true, samples: encode })
}

console.log(formatTable(rows, 'MQTT.js', ['@x/simple', '@x/robust'], 'bare socket'))
// Durable sessions' aim is set against @x/robust itself in memory (issue 23: at least half its msg/s): said under the table.
for (const row of rows.filter((r) => inMemoryOf(r.measure) !== undefined && r.unit === 'msg/s')) {
  const plain = rows.find((r) => r.measure === inMemoryOf(row.measure))
  const durable = row.samples.get('@x/robust')
  const inMemory = plain?.samples.get('@x/robust')
  if (durable && inMemory) {
    console.log(`${row.measure}: @x/robust at ${(median(durable) / median(inMemory)).toFixed(2)}× its own msg/s in memory (same run)`)
  }
}
console.log(
  `broker: ${broker.name} (WebSocket rows: ${wsBrokerName}); Node ${process.version}; ${ROUNDS} interleaved rounds, median (min–max); ` +
    `ratios against MQTT.js in the same run (above 1× is better for us); ` +
    `CPU per message: user + system time of this process (publisher and subscriber, all its threads, LevelDB's included) ` +
    `from the first publish to the last message received, divided by the messages; the broker runs in its own process and is NOT counted; ` +
    `memory: one publisher alone in a child process sending 64 B with 100 in flight, growth over that process before it connected ` +
    `(heap: V8's, garbage included at the peak; RSS: everything, native memory such as LevelDB's too); ` +
    `${Math.round((performance.now() - started) / 1000)} s`,
)
