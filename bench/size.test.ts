/**
 * `pnpm size` measures what it says: every bundle is built, ours run against a real broker (the
 * browser one over WebSocket), and our browser bundle imports no `node:` module. The sizes are
 * printed by `pnpm size`, not asserted here: they are figures to report, not a pass mark.
 */
import { expect, test } from 'vitest'
import { measureFootprints } from './size.js'

test('the footprint programs bundle for node and browser, ours deliver, and our browser bundle needs no node: module', async () => {
  const results = await measureFootprints()
  expect(results.map((f) => `${f.name} ${f.platform}`)).toEqual(['@x/simple node', 'MQTT.js node', '@x/simple browser', 'MQTT.js browser'])
  for (const f of results) expect(f.gzipped, `${f.name} ${f.platform}`).toBeGreaterThan(1000)
  const ours = results.filter((f) => f.name === '@x/simple')
  expect(ours.map((f) => f.output)).toEqual(['delivered', 'delivered'])
  expect(ours.find((f) => f.platform === 'browser')?.nodeModules).toEqual([])
  expect(results.find((f) => f.name === 'MQTT.js' && f.platform === 'node')?.output).toBe('delivered')
}, 60_000)
