/**
 * Speed of @x/simple beside MQTT.js, in the same run on the same broker: each measure runs for
 * both libraries in turn, a warm-up and then RUNS times, and the table shows the medians and the
 * ratio (MQTT.js's time over ours: above 1 means @x/simple is faster).
 *
 *   pnpm bench
 */
import { startBenchBroker } from './lib/broker.js'
import { CLIENTS } from './lib/clients.js'
import { median, percentile, repeat } from './lib/stats.js'
import { ourCodec, theirCodec } from './speed/codec.js'
import { connectTime, roundTrips, throughput } from './speed/network.js'

const RUNS = 5

interface Row {
  measure: string
  ours: number
  theirs: number
  unit: string
}

const rows: Row[] = []

async function compare(measure: string, unit: string, run: (library: number) => Promise<number>): Promise<void> {
  const ours = median(await repeat(RUNS, () => run(0)))
  const theirs = median(await repeat(RUNS, () => run(1)))
  rows.push({ measure, ours, theirs, unit })
  console.error(`  ${measure}: done`)
}

const broker = await startBenchBroker()
console.error(`broker: ${broker.name}; ${RUNS} runs per measure after a warm-up, medians`)
try {
  const factory = (library: number) => (CLIENTS[library] as (typeof CLIENTS)[number])[1]
  for (const [count, size] of [
    [20_000, 16],
    [5_000, 1024],
  ] as const) {
    await compare(`QoS 0: ${count} × ${size} B delivered`, 'ms', (l) => throughput(factory(l), broker.url, count, size, 0))
  }
  await compare('QoS 1: 5000 × 16 B delivered (all PUBACKs)', 'ms', (l) => throughput(factory(l), broker.url, 5000, 16, 1))
  await compare('QoS 2: 2000 × 16 B delivered (all PUBCOMPs)', 'ms', (l) => throughput(factory(l), broker.url, 2000, 16, 2))
  for (const p of [50, 99]) {
    await compare(`round trip, p${p} of 300`, 'ms', async (l) => percentile(await roundTrips(factory(l), broker.url, 300), p))
  }
  await compare('connect (CONNACK)', 'ms', (l) => connectTime(factory(l), broker.url))
  for (const size of [16, 1024]) {
    await compare(`codec: encode 100000 PUBLISH × ${size} B`, 'ms', async (l) => (l ? theirCodec : ourCodec)(100_000, size).encodeMs)
    await compare(`codec: decode 100000 PUBLISH × ${size} B`, 'ms', async (l) => (l ? theirCodec : ourCodec)(100_000, size).decodeMs)
  }
} finally {
  await broker.stop()
}

const width = Math.max(...rows.map((r) => r.measure.length))
console.log(`${'measure'.padEnd(width)}  ${'@x/simple'.padStart(10)}  ${'MQTT.js'.padStart(10)}  MQTT.js / ours`)
for (const r of rows) {
  const cell = (n: number): string => `${n.toFixed(n < 10 ? 2 : 0)} ${r.unit}`.padStart(10)
  console.log(`${r.measure.padEnd(width)}  ${cell(r.ours)}  ${cell(r.theirs)}  ${(r.theirs / r.ours).toFixed(2)}×`)
}
console.log(
  `broker: ${broker.name}; Node ${process.version}; ${RUNS} runs after a warm-up, medians; above 1× means @x/simple takes less time`,
)
