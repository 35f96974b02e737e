/**
 * The root README's @x/simple example, run as written against the embedded broker (only the
 * server URL is swapped), so the first code a newcomer copies keeps working.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { format } from 'node:util'
import { afterAll, expect, test, vi } from 'vitest'
import { startEmbeddedBroker } from '../lib/embedded-broker.js'

const here = dirname(fileURLToPath(import.meta.url))
const readme = readFileSync(join(here, '../../README.md'), 'utf8')
// Inside examples/, so that '@x/simple' resolves as it does for the examples.
const folder = join(here, '../.tmp')
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** The first ```ts block after the heading. */
function snippetAfter(heading: string): string {
  const section = readme.slice(readme.indexOf(heading))
  const match = /```ts\n([\s\S]*?)```/.exec(section)
  if (readme.indexOf(heading) < 0 || !match) throw new Error(`README.md has no ts block after "${heading}"`)
  return match[1] as string
}

test('the umqtt.simple2-style example in README.md runs: its messages come back and each is delivered', async () => {
  const code = snippetAfter('## @x/simple in the umqtt.simple2 style')
  expect(code.split('\n').length).toBeLessThanOrEqual(25)
  expect(code).toContain("server: 'mqtt://127.0.0.1'")
  const broker = await startEmbeddedBroker()
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.join(' ')))
  try {
    mkdirSync(folder, { recursive: true })
    const file = join(folder, `readme-snippet-${process.pid}.ts`)
    writeFileSync(file, code.replace("server: 'mqtt://127.0.0.1'", `server: '${broker.url}'`))
    await import(file)
  } finally {
    log.mockRestore()
    await broker.close()
  }
  const received = lines.filter((l) => l.startsWith('home/living-room/light '))
  expect(received).toEqual(Array.from({ length: 10 }, (_, i) => `home/living-room/light ${i % 2 ? 'on' : 'off'}`))
  // Id 1 is the SUBSCRIBE (its SUBACK is a status too), 2..11 the ten QoS 1 messages. aedes may
  // acknowledge the first PUBLISH before the SUBSCRIBE, so the order of 1 and 2 is not fixed.
  const delivered = lines.flatMap((l) => /^message (\d+) delivered$/.exec(l)?.[1] ?? []).map(Number)
  expect(delivered.sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1))
}, 30_000)

test("the MQTT 5 example in README.md runs against mosquitto: the message comes back with its user property, every status says delivered", async () => {
  const code = snippetAfter("## MQTT 5.0: the broker's reasons and limits")
  expect(code.split('\n').length).toBeLessThanOrEqual(25)
  expect(code).toContain("server: 'mqtt://127.0.0.1'")
  const { startMosquitto } = await import('@x/test-support/mosquitto.js')
  const mosquitto = await startMosquitto()
  const lines: string[] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(format(...args)))
  try {
    mkdirSync(folder, { recursive: true })
    const file = join(folder, `readme-snippet-v5-${process.pid}.ts`)
    writeFileSync(file, code.replace("server: 'mqtt://127.0.0.1'", `server: '${mosquitto.urls.plain}'`))
    await import(file)
  } finally {
    log.mockRestore()
    await mosquitto.stop()
  }
  // mosquitto's default Receive Maximum is 20; the message comes back to its publisher (noLocal false).
  expect(lines).toContain('the broker allows 20 messages in flight')
  expect(lines).toContain("meters/3/kwh 12.5 [Object: null prototype] { unit: 'kWh' }")
  // Id 1 is the SUBSCRIBE (SUBACK: granted QoS 1), 2 the message (PUBACK 0: a subscriber matched).
  expect(lines.filter((l) => l.startsWith('message '))).toEqual(['message 1 delivered (reason code 1)', 'message 2 delivered (reason code 0)'])
}, 30_000)
