/**
 * Durable sessions keep the store bounded: a delivered message leaves the store, and LevelDB
 * compacts what was deleted, so after 100,000 messages the store's folder holds no more than what
 * is still owed plus a constant (LevelDB's write buffer and its logs), not a history.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { LevelStore } from '@x/level-store'
import { RobustClient } from '@x/robust'
import { startEmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { storedState } from './support/durable-log.js'
import { uid } from './support/test-clients.js'

const MESSAGES = 100_000
const WINDOW = 200
// LevelDB's write buffer (4 MiB) is flushed into a table file, its log rolls over, and compaction
// merges what was deleted away: a few such files at most.
const CONSTANT = 16 * 1024 * 1024

const folderBytes = (dir: string): number => readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0)

test(`after ${MESSAGES.toLocaleString('en')} messages through a LevelStore the store is empty of them and its folder within ${CONSTANT / 1024 / 1024} MiB`, async () => {
  const broker = await startEmbeddedBroker()
  const folder = mkdtempSync(join(tmpdir(), 'x-mqtt-store-size-'))
  const store = new LevelStore(folder)
  const client = new RobustClient({ clientId: uid('store-size'), server: broker.url, store, maxInFlight: 100 })
  try {
    await client.connect()
    const payload = new Uint8Array(64)
    let sent = 0
    let largest = 0
    // Bounded: WINDOW calls at a time, every one awaited.
    const worker = async (): Promise<void> => {
      while (sent < MESSAGES) {
        sent++
        await client.publish('store/size', payload, { qos: 1 })
        if (sent % 20_000 === 0) largest = Math.max(largest, folderBytes(folder))
      }
    }
    await Promise.all(Array.from({ length: WINDOW }, worker))
    await client.close()
    expect((await storedState(store)).messages).toEqual([])
    const bytes = folderBytes(folder)
    console.log(
      `store folder after ${MESSAGES} messages: ${(bytes / 1024).toFixed(0)} KiB (largest seen on the way: ${(largest / 1024).toFixed(0)} KiB)`,
    )
    expect(bytes).toBeLessThanOrEqual(CONSTANT)
    expect(largest).toBeLessThanOrEqual(CONSTANT)
  } finally {
    await client.close()
    await store.close()
    await broker.close()
    rmSync(folder, { recursive: true, force: true })
  }
}, 120_000)
