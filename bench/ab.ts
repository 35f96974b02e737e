/**
 * A change against the code before it: @x/simple and @x/robust (and the @x/level-store of the
 * durable rows) bundled from a revision's packages (`git archive`) and from the working tree, run
 * interleaved in one process through one broker (mosquitto, as `pnpm bench` runs it), each
 * printed as msg/s and µs of CPU per message with the working tree's ratio to the revision (above
 * 1× is better for the working tree). The two builds
 * share every run's noise: on this machine a row of `pnpm bench` moves by more between two runs
 * than most changes do, so a change is judged here, not by two prints of the bench.
 *
 *   pnpm bench:ab <rev> [--rows plain|v5|durable|wide|durable-wide|durable-nosync-wide] [--qos 1] [--size 64]
 *                       [--window 100] [--count 40000] [--rounds 5]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { QoS } from '@x/simple'
import { startBenchBroker } from './lib/broker.js'
import { bundleFrom, type Bundle } from './lib/bundle.js'
import type { Library } from './lib/libraries.js'
import { formatTable, type Row } from './lib/table.js'
import { pubsub, type Scenario } from './pubsub/run.js'

/** Which of lib/libraries.ts's sets: the plain clients, MQTT 5, with a LevelStore, with `maxInFlight` 100, both, both with the LevelStore's `sync: false`. */
const ROWS = {
  plain: 'LIBRARIES',
  v5: 'LIBRARIES_V5',
  durable: 'LIBRARIES_DURABLE',
  wide: 'LIBRARIES_WIDE',
  'durable-wide': 'LIBRARIES_DURABLE_WIDE',
  'durable-nosync-wide': 'LIBRARIES_DURABLE_WIDE_NOSYNC',
} as const satisfies Record<string, keyof Bundle>

/** MQTT.js and the bare socket are the same in both builds: only ours are compared. */
const OURS = ['@x/simple', '@x/robust']

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Comparison extends Scenario {
  /** A revision git knows: a commit, a tag, `HEAD~3`. */
  rev: string
  rows: keyof typeof ROWS
  rounds: number
}

/** `rev`'s `packages/` extracted into a temporary folder; the caller removes `dir`. */
function extract(rev: string): { sha: string; dir: string } {
  let sha: string
  try {
    sha = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error(`git knows no commit "${rev}" in ${ROOT}`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'x-mqtt-ab-'))
  const archive = execFileSync('git', ['-C', ROOT, 'archive', sha, 'packages'], { maxBuffer: 1 << 30 })
  execFileSync('tar', ['-x', '-C', dir], { input: archive })
  return { sha, dir }
}

/** Runs the comparison and returns the table's rows (msg/s and CPU per library), the revision's column named `<rev> (<sha>)`. */
export async function compare(c: Comparison): Promise<{ rows: Row[]; before: string }> {
  const { sha, dir } = extract(c.rev)
  try {
    const before = sha.startsWith(c.rev) ? sha.slice(0, 7) : `${c.rev} (${sha.slice(0, 7)})`
    const builds = [
      [before, await bundleFrom(join(dir, 'packages'))],
      ['working tree', await bundleFrom()],
    ] as const
    const runs = builds.flatMap(([build, bundle]) =>
      (bundle[ROWS[c.rows]] as readonly Library[])
        .filter((l) => OURS.includes(l.name) && l.qos.includes(c.qos))
        .map((library) => ({ build, library })),
    )
    const rate = new Map(OURS.map((name) => [name, new Map(builds.map(([build]) => [build, [] as number[]]))]))
    const cpu = new Map(OURS.map((name) => [name, new Map(builds.map(([build]) => [build, [] as number[]]))]))
    const broker = await startBenchBroker()
    try {
      for (let round = 0; round < c.rounds; round++) {
        // Rotate the order each round, so that neither build always runs right after the other.
        for (let i = 0; i < runs.length; i++) {
          const { build, library } = runs[(i + round) % runs.length] as (typeof runs)[number]
          const run = await pubsub(library, broker.url, c)
          rate.get(library.name)?.get(build)?.push(run.rate)
          cpu.get(library.name)?.get(build)?.push(run.cpuPerMessage)
        }
      }
    } finally {
      await broker.stop()
    }
    const rows = OURS.flatMap((name): Row[] => [
      { measure: name, unit: 'msg/s', higherIsBetter: true, samples: rate.get(name) as Map<string, number[]> },
      { measure: `${name}: CPU per message`, unit: 'µs', higherIsBetter: false, samples: cpu.get(name) as Map<string, number[]> },
    ]).filter((row) => [...row.samples.values()].every((samples) => samples.length))
    return { rows, before }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const USAGE =
  'usage: pnpm bench:ab <rev> [--rows plain|v5|durable|wide|durable-wide|durable-nosync-wide] [--qos 0|1|2] [--size 64] [--window 100] [--count 40000] [--rounds 5]'

/** The command line, read into a Comparison; throws the usage with what was wrong. */
export function parse(args: string[]): Comparison {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      rows: { type: 'string', default: 'plain' },
      qos: { type: 'string', default: '1' },
      size: { type: 'string', default: '64' },
      window: { type: 'string', default: '100' },
      count: { type: 'string', default: '40000' },
      rounds: { type: 'string', default: '5' },
    },
  })
  const bad = (what: string): never => {
    throw new Error(`${what}\n${USAGE}`)
  }
  if (positionals.length !== 1) bad('one revision to compare the working tree with')
  if (!(values.rows in ROWS)) bad(`--rows ${values.rows}: not one of ${Object.keys(ROWS).join(', ')}`)
  const whole = (name: 'qos' | 'size' | 'window' | 'count' | 'rounds', min: number, max: number): number => {
    const n = Number(values[name])
    return Number.isInteger(n) && n >= min && n <= max ? n : bad(`--${name} ${values[name]}: a whole number from ${min} to ${max}`)
  }
  return {
    rev: positionals[0] as string,
    rows: values.rows as keyof typeof ROWS,
    qos: whole('qos', 0, 2) as QoS,
    size: whole('size', 0, 256 * 1024 * 1024),
    window: whole('window', 1, 65_535),
    count: whole('count', 1, 10_000_000),
    rounds: whole('rounds', 1, 100),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let comparison: Comparison
  try {
    comparison = parse(process.argv.slice(2))
  } catch (error) {
    console.error((error as Error).message)
    process.exit(2)
  }
  const { rows, before } = await compare(comparison)
  const { rev, rounds, ...scenario } = comparison
  console.log(
    `${JSON.stringify(scenario)}; ${rounds} round${rounds === 1 ? '' : 's'}, interleaved; median (min–max); the working tree's ratio to ${rev}`,
  )
  console.log(formatTable(rows, before, ['working tree']))
  process.exit(0)
}
