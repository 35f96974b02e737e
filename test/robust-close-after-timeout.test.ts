/**
 * close() right after an acknowledgement timeout on a black-holed link: it returns at once and
 * leaves nothing behind, whether the client stayed on its one server or was moving to the next.
 * "Nothing behind" is measured the way a user meets it: the program, run as a process of its own,
 * exits as soon as close() has returned.
 */
import { execPath } from 'node:process'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { bundleProgram } from './support/bundle.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { start } from './support/processes.js'

// The program: publish at QoS 1 into a link the test black-holes; on EACKTIMEOUT wait 200 ms,
// close(), and say how long close() took. Its socketTimeoutMs (5 s) is what a leak would cost.
const PROGRAM = `
import { RobustClient } from '@x/robust'
const servers = process.argv.slice(2)
const client = new RobustClient({
  clientId: 'closer-' + process.pid, server: servers, keepaliveSec: 0, messageTimeoutMs: 300,
  socketTimeoutMs: 5000, reconnect: { minDelayMs: 50, maxDelayMs: 50, jitter: false },
})
client.on('error', () => {})
client.on('disconnect', (error) => {
  if (error.code !== 'EACKTIMEOUT') return
  setTimeout(async () => {
    const started = Date.now()
    await client.close()
    console.log('closed in ' + (Date.now() - started) + ' ms')
  }, 200)
})
// The signal's handler first: SIGUSR2 unheard would end the process.
process.once('SIGUSR2', () => client.publish('close/after/timeout', 'x', { qos: 1 }).catch(() => {}))
await client.connect()
console.log('connected')
`

let dir: string
let program: string
let remove: () => void
let broker: EmbeddedBroker
const proxies: FaultProxy[] = []
beforeAll(async () => {
  broker = await startEmbeddedBroker()
  ;({ dir, program, remove } = await bundleProgram(PROGRAM, 'close'))
})
afterAll(async () => {
  for (const proxy of proxies) await proxy.close()
  await broker.close()
  remove()
})

async function proxy(): Promise<FaultProxy> {
  const p = await startFaultProxy({ targetPort: broker.port })
  proxies.push(p)
  return p
}

test.each([
  ['[A]: reconnecting to the same server', 1],
  ['[A, B]: moving on to the next server', 2],
])('%s, close() 200 ms after EACKTIMEOUT returns at once and the process exits', async (_name, count) => {
  const a = await proxy()
  const servers = count === 1 ? [a.url] : [a.url, (await proxy()).url]
  const run = start(execPath, [program, ...servers], { cwd: dir, timeoutMs: 15_000 })
  try {
    await run.waitFor('connected', 10_000)
    a.blackhole()
    run.child.kill('SIGUSR2') // publish now
    await run.waitFor(/closed in \d+ ms/, 10_000)
  } catch (error) {
    await run.stop()
    throw error
  }
  const closedAt = Date.now()
  const done = await run.finished
  const exitMs = Date.now() - closedAt
  const closeMs = Number(/closed in (\d+) ms/.exec(run.stdout)?.[1])
  console.log(`[close after EACKTIMEOUT] ${count} server(s): close() ${closeMs} ms, process exit ${exitMs} ms later`)
  expect(done.code).toBe(0)
  expect(closeMs).toBeLessThan(1000)
  expect(exitMs).toBeLessThan(1500)
})
