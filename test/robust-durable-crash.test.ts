/**
 * Durable sessions across SIGKILL (contract §7, issue 23): a publisher in a child process with a
 * LevelStore, killed with SIGKILL at seeded moments and started again on the same store, against
 * the mosquitto daemon on its default configuration. A subscriber with a persistent session
 * receives every message: QoS 2 exactly once, QoS 1 at least once, in order per QoS.
 *
 * The publisher reaches mosquitto through a fault proxy (refusing = the broker is unreachable)
 * and a proxy that reads the MQTT it forwards (durable-wire-proxy.ts), which can hold a packet
 * from the broker and SIGKILL the publisher before it arrives: after PUBREC and before PUBCOMP,
 * or after the broker received a PUBLISH and before its PUBREC. The figures (runs, kills, lost,
 * twice, timings) are printed at the end. Seed: CRASH_SEED (default below).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { LevelStore } from '@x/level-store'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startDurableWireProxy, type DurableWireProxy } from './support/durable-wire-proxy.js'
import { startPublisher, type Publisher } from './support/durable-children.js'
import { storedState } from './support/durable-log.js'
import { Prng } from './support/prng.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const SEED = Number(process.env['CRASH_SEED'] ?? 230_623)

let mosquitto: Mosquitto
let wire: DurableWireProxy
let proxy: FaultProxy
let subscriber: RobustClient
let folder: string
const prefix = uid('crash')
/** What the subscriber received, by topic and QoS: the sequence numbers in arrival order. */
const received = new Map<string, { 1: number[]; 2: number[]; wrongQos: number }>()
const children: Publisher[] = []

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'x-crash-'))
  mosquitto = await startMosquitto()
  wire = await startDurableWireProxy(mosquitto.ports.plain)
  proxy = await startFaultProxy({ targetPort: wire.port })
  subscriber = new RobustClient({ clientId: uid('crash-sub'), server: mosquitto.urls.plain, cleanSession: false })
  subscriber.on('message', (topic, payload, { qos }) => {
    const [sent, n] = payload.toString().split(':').map(Number) as [1 | 2, number]
    const got = received.get(topic) ?? { 1: [], 2: [], wrongQos: 0 }
    received.set(topic, got)
    got[sent].push(n)
    if (qos !== sent) got.wrongQos++
  })
  await subscriber.connect()
  await subscriber.subscribe(`${prefix}/#`, { qos: 2 })
}, 30_000)

afterAll(async () => {
  for (const child of children) await child.kill()
  await subscriber?.close()
  await proxy?.close()
  await wire?.close()
  await mosquitto?.stop()
  if (folder) rmSync(folder, { recursive: true, force: true })
})

const got = (topic: string): { 1: number[]; 2: number[]; wrongQos: number } => received.get(topic) ?? { 1: [], 2: [], wrongQos: 0 }
const distinct = (list: number[]): number[] => [...new Set(list)]
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

function publisher(config: Parameters<typeof startPublisher>[0]): Publisher {
  const child = startPublisher(config)
  children.push(child)
  return child
}

/**
 * On one connection of the wire: the QoS 2 exchanges after PUBREC and before PUBCOMP, by packet
 * id: the publisher sent PUBREL (so it had PUBREC, on this connection or one before a crash) and
 * no PUBCOMP for it reached the publisher.
 */
function openExchanges(connection: number): number[] {
  const open = new Map<number, number>()
  for (const { connection: c, packet } of wire.up)
    if (c === connection && packet.type === 'pubrel') open.set(packet.pid, (open.get(packet.pid) ?? 0) + 1)
  for (const { connection: c, packet, forwarded } of wire.down)
    if (c === connection && forwarded && packet.type === 'pubcomp') open.set(packet.pid, (open.get(packet.pid) ?? 0) - 1)
  return [...open].filter(([, n]) => n > 0).map(([pid]) => pid)
}
const lastConnection = (): number => Math.max(-1, ...wire.up.map((p) => p.connection))

type Kind = 'offline' | 'stream' | 'pubrec' | 'pubcomp'
interface Kill {
  run: number
  kind: Kind
  /** The subscriber's count for the run when the kill landed. */
  at: number
  /** QoS 2 exchanges between PUBREC and PUBCOMP on the wire when it landed. */
  open: number
  /** What the next start restored. */
  restored?: { queued: number; inFlight: number }
}
const kills: Kill[] = []
const figures: string[] = []

/**
 * Kills the running publisher at a moment of this kind; resolves once it has gone (false: it
 * drained first, so there was nothing left to kill it in the middle of).
 */
async function killAt(child: Publisher, kind: Kind, rng: Prng, topic: string, total: number, run: number): Promise<boolean> {
  const count = (): number => got(topic)[1].length + got(topic)[2].length
  if (kind === 'offline') {
    await sleep(rng.int(30))
    child.killNow()
  } else {
    await proxy.accept()
    if (kind === 'stream') {
      const target = count() + rng.range(1, Math.max(1, Math.floor((2 * total - count()) * 0.6)))
      await Promise.race([waitFor(() => count() >= target, `${target} messages at the subscriber`, 30_000), child.finished])
      child.killNow()
    } else {
      // The n-th PUBREC (or PUBCOMP) from the broker is held, and the publisher killed before it could arrive.
      let n = rng.range(1, Math.max(1, Math.min(400, Math.floor((total - got(topic)[2].length) * 0.6))))
      wire.onDown = (packet) => {
        if (packet.type !== kind || --n > 0) return 'pass'
        child.killNow()
        wire.onDown = () => 'pass'
        return 'hold'
      }
    }
  }
  const finished = await child.finished
  wire.onDown = () => 'pass'
  if (finished.signal !== 'SIGKILL') return false
  kills.push({ run, kind, at: count(), open: kind === 'offline' ? 0 : openExchanges(lastConnection()).length })
  return true
}

async function crashRun(run: number, count: number, plan: Kind[], rng: Prng): Promise<void> {
  const started = Date.now()
  const topic = `${prefix}/run-${run}`
  const config = { url: proxy.url, clientId: uid(`crash-pub-${run}`), store: join(folder, `run-${run}`), topic }
  await proxy.refuse()
  let child = publisher({ ...config, count, drain: true })
  await child.waitFor('stored', 30_000)
  const stored = Date.now() - started
  for (const kind of plan) {
    if (!(await killAt(child, kind, rng, topic, count, run))) break
    child = publisher({ ...config, drain: true })
    await child.waitFor('restored', 20_000)
    const info = child.restored()
    const last = kills.at(-1) as Kill
    last.restored = { queued: info?.queued ?? -1, inFlight: info?.inFlight ?? -1 }
    // Every message that was stored is owed: none is lost before it was acknowledged.
    expect(info && info.queued + info.inFlight + distinct(got(topic)[2]).length).toBeGreaterThanOrEqual(count)
  }
  await proxy.accept()
  await child.waitFor('drained', 60_000)
  await waitFor(
    () => got(topic)[2].length >= count && distinct(got(topic)[1]).length >= count,
    'every message at the subscriber',
    15_000,
  ).catch(() => {})
  await sleep(200) // a duplicate would come now
  const g = got(topic)
  const lost = 2 * count - distinct(g[1]).length - distinct(g[2]).length
  const twice2 = g[2].length - distinct(g[2]).length
  figures.push(
    `run ${run}: ${count} + ${count} messages, stored in ${stored} ms, kills ${kills.filter((k) => k.run === run).length}, lost ${lost}, QoS 2 twice ${twice2}, QoS 1 twice ${g[1].length - distinct(g[1]).length}, ${Date.now() - started} ms`,
  )
  expect(children.flatMap((c) => c.running.stdout.split('\n').filter((l) => /^(drop|error) /.test(l)))).toEqual([])
  expect(g.wrongQos).toBe(0)
  expect(g[2]).toEqual(upTo(count)) // exactly once, in order
  expect(distinct(g[1])).toEqual(upTo(count)) // at least once, first arrivals in order
  // Everything is out: the store holds nothing owed.
  const store = new LevelStore(config.store)
  await store.open()
  expect((await storedState(store)).messages).toEqual([])
  await store.close()
}

test('a publisher with a LevelStore, SIGKILLed at seeded moments (offline, mid-stream, after a PUBLISH before its PUBREC, after PUBREC before PUBCOMP) and started again: every message arrives, QoS 2 exactly once, QoS 1 at least once, in order', async () => {
  const rng = new Prng(SEED)
  const runs: Array<[count: number, plan: Kind[]]> = [
    [3000, ['offline', 'pubcomp', 'stream', 'pubrec']],
    [500, ['offline', 'stream', 'pubcomp']],
    [500, ['offline', 'pubrec', 'stream']],
    [500, ['offline', 'pubcomp', 'pubrec']],
  ]
  try {
    for (const [i, [count, plan]] of runs.entries()) await crashRun(i, count, plan, rng)
  } finally {
    console.log(
      [
        `seed ${SEED}`,
        ...figures,
        ...kills.map(
          (k) =>
            `  kill run ${k.run} ${k.kind} at ${k.at} received, ${k.open} QoS 2 between PUBREC and PUBCOMP, restored ${JSON.stringify(k.restored)}`,
        ),
      ].join('\n'),
    )
  }
  expect(kills.length).toBeGreaterThanOrEqual(10)
  // The held-PUBCOMP kills landed between PUBREC and PUBCOMP, on the wire.
  for (const k of kills.filter((k) => k.kind === 'pubcomp')) expect(k.open).toBeGreaterThan(0)
}, 240_000)

test('a publisher sending while the broker is up, SIGKILLed after PUBREC and before PUBCOMP (shown on the wire): after the restart it sends PUBREL again, and the message arrives exactly once', async () => {
  const rng = new Prng(SEED + 1)
  for (const run of [10, 11, 12]) {
    const started = Date.now()
    const count = 400
    const topic = `${prefix}/run-${run}`
    const config = { url: proxy.url, clientId: uid(`crash-pub-${run}`), store: join(folder, `run-${run}`), topic }
    await proxy.accept()
    let held: { pid: number; connection: number } | undefined
    let n = rng.range(20, 300)
    const child = publisher({ ...config, count, drain: true })
    wire.onDown = (packet, connection) => {
      if (packet.type !== 'pubcomp' || --n > 0) return 'pass'
      child.killNow()
      held = { pid: packet.pid, connection }
      wire.onDown = () => 'pass'
      return 'hold'
    }
    const finished = await child.finished
    wire.onDown = () => 'pass'
    expect(finished.signal).toBe('SIGKILL')
    const { pid, connection } = held as { pid: number; connection: number }
    // On the wire: the QoS 2 PUBLISH went up, its PUBREC reached the publisher, it sent PUBREL, its PUBCOMP did not reach it.
    const up = wire.up.filter((p) => p.connection === connection)
    const down = wire.down.filter((p) => p.connection === connection)
    expect(up.some(({ packet: p }) => p.type === 'publish' && p.qos === 2 && p.pid === pid)).toBe(true)
    expect(down.some(({ packet: p, forwarded }) => p.type === 'pubrec' && p.pid === pid && forwarded)).toBe(true)
    expect(up.some(({ packet: p }) => p.type === 'pubrel' && p.pid === pid)).toBe(true)
    expect(down.filter(({ packet: p }) => p.type === 'pubcomp' && p.pid === pid).map((p) => p.forwarded)).toEqual([false])
    kills.push({ run, kind: 'pubcomp', at: got(topic)[2].length, open: openExchanges(connection).length })

    const again = publisher({ ...config, drain: true })
    await again.waitFor('drained', 60_000)
    const info = again.restored()
    ;(kills.at(-1) as Kill).restored = { queued: info?.queued ?? -1, inFlight: info?.inFlight ?? -1 }
    expect(info?.inFlight).toBeGreaterThan(0)
    // The restart released it again with the same packet id (PUBREL, not a new PUBLISH), and the broker completed it.
    const next = lastConnection()
    expect(wire.up.some(({ connection: c, packet: p }) => c === next && p.type === 'pubrel' && p.pid === pid)).toBe(true)
    await waitFor(() => got(topic)[2].length >= count && distinct(got(topic)[1]).length >= count, 'every message', 15_000).catch(() => {})
    await sleep(200)
    const g = got(topic)
    figures.push(
      `run ${run} (broker up): ${count} + ${count}, killed after PUBREC of pid ${pid} with ${openExchanges(connection).length} between PUBREC and PUBCOMP, lost ${2 * count - distinct(g[1]).length - distinct(g[2]).length}, QoS 2 twice ${g[2].length - distinct(g[2]).length}, ${Date.now() - started} ms`,
    )
    expect(g[2]).toEqual(upTo(count))
    expect(distinct(g[1])).toEqual(upTo(count))
  }
  console.log(figures.slice(-3).join('\n'))
}, 120_000)
