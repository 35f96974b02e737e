/**
 * `pnpm size` measures what it says: every bundle is built, ours run against a real broker (the
 * browser one over WebSocket; the MQTT 5 ones against the mosquitto daemon), our browser bundles
 * import no `node:` module, and the MQTT 3.1.1 program loads none of our MQTT 5 code. And the
 * budget that stays: our programs may not grow past the figures reached (size.ts CEILING and
 * CEILING_V5), so CI fails on a change that makes them heavier. The figures themselves are what
 * `pnpm size` prints.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { measureGuaranteeCosts } from './feature-costs.js'
import { splitBundle, v5ModulesIn } from './lib/split-bundle.js'
import { CEILING, CEILING_V5, footprintProblems, measureFootprints, type Footprint } from './size.js'

test('the footprint programs bundle for node and browser, ours deliver within their ceilings, the v4 one without MQTT 5 code', async () => {
  const results = await measureFootprints()
  expect(results.map((f) => `${f.name} v${f.version} ${f.platform}`)).toEqual([
    '@x/simple v4 node',
    'MQTT.js v4 node',
    '@x/simple v4 browser',
    'MQTT.js v4 browser',
    'u8-mqtt v4 node',
    'u8-mqtt v4 browser',
    '@x/simple v5 node',
    'MQTT.js v5 node',
    '@x/simple v5 browser',
    'MQTT.js v5 browser',
    'u8-mqtt v5 node',
    'u8-mqtt v5 browser',
  ])
  for (const f of results) expect(f.loaded, `${f.name} v${f.version} ${f.platform}`).toBeGreaterThan(1000)
  const ours = results.filter((f) => f.name === '@x/simple')
  expect(ours.map((f) => f.output)).toEqual(['delivered', 'delivered', 'delivered', 'delivered'])
  for (const f of ours.filter((o) => o.platform === 'browser')) expect(f.nodeModules, `v${f.version}`).toEqual([])
  for (const f of ours.filter((o) => o.version === 4)) {
    expect(f.v5Loaded, `${f.platform}: MQTT 5 modules the v4 program loads`).toEqual([])
    expect(f.loaded, `${f.platform} v4 program, loaded, gzipped (size.ts CEILING)`).toBeLessThanOrEqual(CEILING[f.platform])
  }
  for (const f of ours.filter((o) => o.version === 5)) {
    expect(f.loaded + f.lazy, `${f.platform} v5 program, all it loads, gzipped (size.ts CEILING_V5)`).toBeLessThanOrEqual(
      CEILING_V5[f.platform],
    )
  }
  expect(footprintProblems(results)).toEqual([])
  expect(ours[0]?.modules.length).toBeGreaterThan(10)
  // The peers' programs work too: each figure is of a program that does the job.
  const peers = results.filter((f) => f.name !== '@x/simple' && f.output !== 'not run (needs a browser)')
  expect(peers.map((f) => `${f.name} v${f.version} ${f.platform}: ${f.output}`)).toEqual([
    'MQTT.js v4 node: delivered',
    'u8-mqtt v4 node: delivered',
    'u8-mqtt v4 browser: delivered',
    'MQTT.js v5 node: delivered',
    'u8-mqtt v5 node: delivered',
    'u8-mqtt v5 browser: delivered',
  ])
}, 90_000)

test('the MQTT 5 guard sees our v5 code in what a program loads: a program that imports the v5 codec statically is caught', async () => {
  // Inside bench/, so that @x/simple resolves; bench/.bundle is ignored by git.
  const parent = fileURLToPath(new URL('./.bundle/', import.meta.url))
  mkdirSync(parent, { recursive: true })
  const dir = mkdtempSync(parent)
  try {
    const entry = join(dir, 'imports-v5.ts')
    writeFileSync(entry, "import { encodeV5 } from '@x/simple/codec'\nconsole.log(encodeV5)\n")
    const bundle = await splitBundle(entry, 'browser', join(dir, 'out'))
    expect(v5ModulesIn(bundle.loadedInputs)).toContain('simple/src/codec/v5/encode.ts')
    const v4: Footprint = {
      name: '@x/simple',
      version: 4,
      platform: 'browser',
      minified: 1,
      loaded: 1,
      lazy: 0,
      single: 1,
      nodeModules: [],
      v5Loaded: v5ModulesIn(bundle.loadedInputs),
      output: 'delivered',
      modules: [],
    }
    expect(footprintProblems([v4])).toEqual([
      expect.stringMatching(/^browser, v4: the program loads MQTT 5 code it never runs: .*codec\/v5\/encode\.ts/),
    ])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('pnpm size:costs prices each guarantee: every stub still takes something out, and all of them together leave a smaller program', async () => {
  const { whole, costs, bare } = await measureGuaranteeCosts()
  for (const platform of ['node', 'browser'] as const) {
    const rows = costs.filter((c) => c.platform === platform)
    expect(rows.length, platform).toBeGreaterThan(3)
    for (const { name, bytes } of rows) expect(bytes, `${platform}: ${name}`).toBeGreaterThan(0)
    expect(bare[platform]).toBeLessThan(whole[platform] - Math.max(...rows.map((c) => c.bytes)))
  }
}, 60_000)
