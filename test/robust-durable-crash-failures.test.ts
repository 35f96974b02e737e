/**
 * Durable sessions that cannot be used are loud (contract §7, issue 23), with a real LevelStore
 * and real processes: a store folder locked by a publisher in another process, a store of another
 * client id, a corrupt store (its files truncated while no process has it open) each make
 * connect() reject with ESTORE before any connection is made, and what the publisher had stored
 * still arrives (QoS 2 exactly once) once it is started again on its own store.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { LevelStore } from '@x/level-store'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startPublisher, type Publisher } from './support/durable-children.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const COUNT = 200

let mosquitto: Mosquitto
let proxy: FaultProxy
let subscriber: RobustClient
let folder: string
const prefix = uid('crash-fail')
const received = new Map<string, { 1: number[]; 2: number[] }>()
const children: Publisher[] = []
const cleanups: Array<() => Promise<void>> = []

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'x-crash-fail-'))
  mosquitto = await startMosquitto()
  proxy = await startFaultProxy({ targetPort: mosquitto.ports.plain })
  subscriber = new RobustClient({ clientId: uid('crash-fail-sub'), server: mosquitto.urls.plain, cleanSession: false })
  subscriber.on('message', (topic, payload) => {
    const [qos, n] = payload.toString().split(':').map(Number) as [1 | 2, number]
    const got = received.get(topic) ?? { 1: [], 2: [] }
    received.set(topic, got)
    got[qos].push(n)
  })
  await subscriber.connect()
  await subscriber.subscribe(`${prefix}/#`, { qos: 2 })
})

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  for (const child of children.splice(0)) await child.kill()
})

afterAll(async () => {
  await subscriber?.close()
  await proxy?.close()
  await mosquitto?.stop()
  if (folder) rmSync(folder, { recursive: true, force: true })
})

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i)

/** A publisher in its own process that has stored COUNT QoS 1 and COUNT QoS 2 messages while the broker is unreachable. */
async function storedPublisher(
  name: string,
): Promise<{ config: { url: string; clientId: string; store: string; topic: string }; child: Publisher }> {
  const config = { url: proxy.url, clientId: uid(`crash-fail-${name}`), store: join(folder, name), topic: `${prefix}/${name}` }
  await proxy.refuse()
  const child = startPublisher({ ...config, count: COUNT, drain: true })
  children.push(child)
  await child.waitFor('stored', 30_000)
  return { config, child }
}

/** A client in this process on the folder `store`: its connect() and the error it rejects with. */
async function connectWith(clientId: string, store: string): Promise<unknown> {
  const level = new LevelStore(store)
  const client = new RobustClient({ clientId, server: proxy.url, cleanSession: false, store: level, reconnect: { minDelayMs: 20 } })
  cleanups.push(async () => {
    await client.close()
    await level.close()
  })
  return client.connect({ signal: AbortSignal.timeout(5000) }).then(
    () => 'connected',
    (error: unknown) => error,
  )
}

/** Started again on its store with the broker reachable: every message it had stored arrives, QoS 2 exactly once. */
async function everythingArrives(config: { url: string; clientId: string; store: string; topic: string }): Promise<void> {
  await proxy.accept()
  const again = startPublisher({ ...config, drain: true })
  children.push(again)
  await again.waitFor('drained', 30_000)
  expect(again.restored()).toMatchObject({ queued: 2 * COUNT, inFlight: 0 })
  const got = (): { 1: number[]; 2: number[] } => received.get(config.topic) ?? { 1: [], 2: [] }
  await waitFor(() => got()[2].length >= COUNT && new Set(got()[1]).size >= COUNT, 'every stored message', 10_000).catch(() => {})
  await sleep(100)
  expect(got()[2]).toEqual(upTo(COUNT))
  expect([...new Set(got()[1])]).toEqual(upTo(COUNT))
}

test('a store folder a publisher in another process has open: connect() rejects with ESTORE (locked), and the publisher loses nothing', async () => {
  const { config, child } = await storedPublisher('locked')
  await proxy.accept()
  const connectionsBefore = proxy.stats.connections
  const error = await connectWith(config.clientId, config.store)
  expect(error).toMatchObject({ code: 'ESTORE', message: expect.stringMatching(/locked by another process/) })
  expect((error as Error).message).toContain(config.store)
  expect(proxy.stats.connections).toBe(connectionsBefore)
  // The owner goes on: killed, started again, it delivers what it had stored.
  await proxy.refuse()
  await child.kill()
  await everythingArrives(config)
})

test('a store that belongs to another client id: connect() rejects with ESTORE naming both ids, and the owner loses nothing', async () => {
  const { config, child } = await storedPublisher('other-id')
  await child.kill()
  await proxy.accept()
  const connectionsBefore = proxy.stats.connections
  const error = await connectWith('someone-else', config.store)
  expect(error).toMatchObject({ code: 'ESTORE', message: expect.stringContaining('someone-else') })
  expect((error as Error).message).toContain(config.clientId)
  expect(proxy.stats.connections).toBe(connectionsBefore)
  // Nothing was written to it: its owner finds every message.
  await cleanups.pop()?.()
  await everythingArrives(config)
})

test('a corrupt store (its files truncated while no process has it open): connect() rejects with ESTORE before connecting; another store killed at the same moment loses nothing', async () => {
  const corrupt = await storedPublisher('corrupt')
  const healthy = await storedPublisher('healthy')
  await corrupt.child.kill()
  await healthy.child.kill()
  for (const file of readdirSync(corrupt.config.store)) if (file !== 'LOCK') truncateSync(join(corrupt.config.store, file), 0)
  await proxy.accept()
  const connectionsBefore = proxy.stats.connections
  const error = await connectWith(corrupt.config.clientId, corrupt.config.store)
  expect(error).toMatchObject({ code: 'ESTORE', message: expect.stringMatching(/corrupt/) })
  expect((error as Error).message).toContain(corrupt.config.store)
  expect(proxy.stats.connections).toBe(connectionsBefore)
  // The child on the corrupt store fails the same way, loudly, and exits.
  const child = startPublisher({ ...corrupt.config, drain: true })
  children.push(child)
  await child.waitFor('connect-failed ESTORE', 20_000)
  expect((await child.finished).code).toBe(3)
  await everythingArrives(healthy.config)
})
