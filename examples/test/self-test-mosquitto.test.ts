/** The self-test example (umqtt.simple2's TestMQTT) against the mosquitto daemon, on its defaults. */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startMosquitto, type Mosquitto } from '@x/test-support/mosquitto.js'
import { main as selfTest } from '../self-test.js'
import { collect } from './output.js'

let open: Mosquitto
beforeAll(async () => {
  open = await startMosquitto()
})
afterAll(() => open?.stop())

test('the self-test example passes against mosquitto', async () => {
  const out = collect()
  await selfTest(['--url', open.urls.plain], out.print)
  expect(out.lines.at(-1)).toBe('8 passed, 0 failed')
})
