/**
 * MQTT over WebSocket in Node without the `ws` package: Node 22's global WebSocket is used
 * instead (no TLS options: it takes none), and without either the client says to install ws.
 * Node 20 has that global behind `--experimental-websocket`, so the test runs a bundled program
 * from a folder where `ws` cannot be found, with and without the flag.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { bundleProgram } from './support/bundle.js'

// Subscribes, publishes at QoS 1 and prints what came back; or prints the error's code and message.
const PROGRAM = `
import { MqttClient } from '@x/simple'
const [url, tls] = process.argv.slice(2)
const client = new MqttClient({ clientId: 'global-ws', server: url, ...(tls ? { tls: { rejectUnauthorized: false } } : {}) })
let got
client.setCallback((topic, payload) => (got = String(payload)))
try {
  await client.connect()
  await client.subscribe('global/ws', { qos: 1 })
  await client.publish('global/ws', 'hello', { qos: 1 })
  while (got === undefined) await client.waitMsg(1000)
  await client.disconnect()
  console.log('received ' + got)
} catch (error) {
  console.log(error.code + ': ' + error.message)
}
`

let broker: EmbeddedBroker
let dir: string
let program: string
let remove: () => void
beforeAll(async () => {
  broker = await startEmbeddedBroker({ websocket: true })
  ;({ dir, program, remove } = await bundleProgram(PROGRAM, 'global-ws'))
})
afterAll(async () => {
  await broker.close()
  remove()
})

/** The program's first line of output, run from a folder with no node_modules. */
async function run(flags: string[], ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, program, ...args], { cwd: dir, timeout: 15_000 })
  return stdout.trim().split('\n')[0] ?? ''
}

test("without ws, Node's own WebSocket carries MQTT: subscribe, publish at QoS 1, the message back", async () => {
  expect(await run(['--experimental-websocket'], broker.wsUrl as string)).toBe('received hello')
})

test("Node's own WebSocket takes no TLS options: EOPTION saying so and what to install", async () => {
  const said = await run(['--experimental-websocket'], (broker.wsUrl as string).replace('ws:', 'wss:'), 'tls')
  expect(said).toMatch(
    /^EOPTION: Cannot connect to wss:\/\/127\.0\.0\.1:\d+\/mqtt with TLS options: Node's own WebSocket takes none; npm install ws$/,
  )
})

test('with neither ws nor a global WebSocket: EOPTION saying to install ws', async () => {
  // Node 20 accepts the flag too (its global is off by default); Node 22 needs it to turn its global off.
  const said = await run(['--no-experimental-websocket'], broker.wsUrl as string)
  expect(said).toMatch(/^EOPTION: MQTT over WebSocket in Node v\d+\.\d+\.\d+ needs the ws package: npm install ws$/)
})
