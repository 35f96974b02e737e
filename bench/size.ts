/**
 * Footprint: bundles the same program (connect, publish one message at QoS 1, wait for PUBACK,
 * disconnect) written with @x/simple and with MQTT.js, as a user would ship it
 * (`esbuild --bundle --minify --platform=node`), gzips each, runs each bundle against an embedded
 * broker to prove it works, and prints the sizes with their ratio.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { startEmbeddedBroker } from '../examples/lib/embedded-broker.js'

/** The budget of the footprint program with @x/simple, gzipped. */
export const BUDGET = 4096

export interface Footprint {
  name: string
  minified: number
  gzipped: number
  /** What the bundle printed when run against the embedded broker. */
  output: string
}

const PROGRAMS = [
  { name: '@x/simple', entry: 'footprint/simple-qos1.ts' },
  { name: 'MQTT.js', entry: 'footprint/mqttjs-qos1.ts' },
]

/** Bundles, measures and runs each footprint program. */
export async function measureFootprints(): Promise<Footprint[]> {
  const dir = mkdtempSync(join(tmpdir(), 'x-mqtt-size-'))
  const broker = await startEmbeddedBroker()
  try {
    const results: Footprint[] = []
    for (const { name, entry } of PROGRAMS) {
      const outfile = join(dir, `${name.replace(/\W/g, '')}.cjs`)
      const bundle = await build({
        entryPoints: [new URL(entry, import.meta.url).pathname],
        bundle: true,
        minify: true,
        platform: 'node',
        outfile,
        write: true,
        logLevel: 'error',
      })
      if (bundle.errors.length) throw new Error(`esbuild failed for ${name}`)
      const code = readFileSync(outfile)
      const { stdout } = await promisify(execFile)(process.execPath, [outfile, broker.url], { timeout: 10_000 })
      results.push({ name, minified: code.length, gzipped: gzipSync(code).length, output: stdout.trim() })
    }
    return results
  } finally {
    await broker.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [ours, theirs] = (await measureFootprints()) as [Footprint, Footprint]
  const row = (f: Footprint): string =>
    `${f.name.padEnd(10)} ${String(f.minified).padStart(9)} ${String(f.gzipped).padStart(9)}   ${f.output}`
  console.log(`program: connect, publish at QoS 1, wait for PUBACK, disconnect (esbuild --bundle --minify --platform=node)`)
  console.log(`${'client'.padEnd(10)} ${'minified'.padStart(9)} ${'gzipped'.padStart(9)}   run against an embedded broker`)
  console.log(row(ours))
  console.log(row(theirs))
  console.log(
    `@x/simple is ${(theirs.gzipped / ours.gzipped).toFixed(1)}× smaller than MQTT.js gzipped (${((100 * ours.gzipped) / theirs.gzipped).toFixed(1)}% of its size)`,
  )
  const verdict = ours.gzipped <= BUDGET ? 'within' : `over by ${ours.gzipped - BUDGET} bytes`
  console.log(`budget ${BUDGET} bytes gzipped: ${verdict}`)
}
