/**
 * `pnpm size` measures what it says: every bundle is built, ours run against a real broker (the
 * browser one over WebSocket), and our browser bundle imports no `node:` module. And the budget
 * that stays: our bundles may not grow past the figures reached (size.ts CEILING), so CI fails
 * on a change that makes them heavier. The figures themselves are what `pnpm size` prints.
 */
import { expect, test } from 'vitest'
import { measureGuaranteeCosts } from './feature-costs.js'
import { CEILING, measureFootprints } from './size.js'

test('the footprint programs bundle for node and browser, ours deliver, and our browser bundle needs no node: module', async () => {
  const results = await measureFootprints()
  expect(results.map((f) => `${f.name} ${f.platform}`)).toEqual([
    '@x/simple node',
    'MQTT.js node',
    '@x/simple browser',
    'MQTT.js browser',
    'u8-mqtt node',
    'u8-mqtt browser',
  ])
  for (const f of results) expect(f.gzipped, `${f.name} ${f.platform}`).toBeGreaterThan(1000)
  const ours = results.filter((f) => f.name === '@x/simple')
  expect(ours.map((f) => f.output)).toEqual(['delivered', 'delivered'])
  expect(ours.find((f) => f.platform === 'browser')?.nodeModules).toEqual([])
  for (const f of ours) expect(f.gzipped, `${f.platform} bundle, gzipped (size.ts CEILING)`).toBeLessThanOrEqual(CEILING[f.platform])
  expect(ours[0]?.modules.length).toBeGreaterThan(10)
  // The peers' programs work too: each figure is of a program that does the job.
  expect(results.filter((f) => f.name !== '@x/simple' && f.output !== 'not run (needs a browser)').map((f) => f.output)).toEqual([
    'delivered',
    'delivered',
    'delivered',
  ])
}, 60_000)

test('pnpm size:costs prices each guarantee: every stub still takes something out, and all of them together leave a smaller program', async () => {
  const { whole, costs, bare } = await measureGuaranteeCosts()
  for (const platform of ['node', 'browser'] as const) {
    const rows = costs.filter((c) => c.platform === platform)
    expect(rows.length, platform).toBeGreaterThan(3)
    for (const { name, bytes } of rows) expect(bytes, `${platform}: ${name}`).toBeGreaterThan(0)
    expect(bare[platform]).toBeLessThan(whole[platform] - Math.max(...rows.map((c) => c.bytes)))
  }
}, 60_000)
