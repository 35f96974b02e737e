/**
 * Durable when batch() resolves, atomic when the process dies in the middle of one (contract §7:
 * "a crash in the middle leaves the store as before"). The writer is a process of its own, killed
 * with SIGKILL, so nothing of it (no close, no flush, no exit handler) runs after the kill.
 */
import { join } from 'node:path'
import { LevelStore } from '@x/level-store'
import { Level } from 'level'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { runFixture, type Child } from './support/child.js'
import { tempFolder, type TempFolder } from './support/temp-folder.js'

let folder: TempFolder
let location: string
const children: Child[] = []
const stores: LevelStore[] = []
const reopen = async (): Promise<LevelStore> => {
  const store = new LevelStore(location)
  stores.push(store)
  await store.open()
  return store
}

beforeEach(() => {
  folder = tempFolder()
  location = join(folder.path, 'store')
})
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(children.splice(0).map((child) => child.kill()))
  await Promise.all(stores.splice(0).map((store) => store.close()))
  folder.remove()
})

// `sync: false` keeps the same promise against a dying process: LevelDB has written its log (the
// OS holds it) before the batch resolves, and a SIGKILL leaves the OS alone.
test.each([{ sync: true }, { sync: false }])(
  'what a child wrote is there after it was SIGKILLed the moment its last batch resolved (sync: $sync)',
  async ({ sync }) => {
    const writer = runFixture('write-then-wait', [location, '3000', sync ? 'sync' : 'nosync'])
    children.push(writer)
    await writer.waitFor('stored')
    await writer.kill()
    expect((await writer.exited).signal).toBe('SIGKILL')

    const entries = await (await reopen()).scan('k/')
    expect(entries).toHaveLength(3000)
    entries.forEach(([key, value], i) => {
      expect(key).toBe(`k/${String(i).padStart(6, '0')}`)
      expect(value).toEqual(new Uint8Array([i & 255, i >> 8]))
    })
  },
)

test('every batch is written with sync: true, so it is on disk (not only in the OS cache) when it resolves; sync: false only when asked', async () => {
  // A SIGKILL leaves the OS cache alone, so only the option itself shows durability against power loss.
  const batch = vi.spyOn(Level.prototype, 'batch')
  const store = await reopen()
  await store.batch([{ type: 'put', key: 'a', value: new Uint8Array([1]) }])
  expect(batch).toHaveBeenCalledTimes(1)
  expect((batch.mock.calls[0] as unknown[])[1]).toEqual({ sync: true })
  await store.close()

  const relaxed = new LevelStore(location, { sync: false })
  stores.push(relaxed)
  await relaxed.open()
  await relaxed.batch([{ type: 'put', key: 'b', value: new Uint8Array([2]) }])
  expect((batch.mock.calls[1] as unknown[])[1]).toEqual({ sync: false })
  expect(await relaxed.scan('')).toEqual([
    ['a', new Uint8Array([1])],
    ['b', new Uint8Array([2])],
  ])
})

test('a child SIGKILLed at 8 moments in the middle of writing batches of 500 leaves whole batches, never a mix', async () => {
  // Seeded moments (no Math.random), spread over the first ~400 ms of writing.
  let seed = 23
  for (let run = 0; run < 8; run++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    const writer = runFixture('write-batches', [location])
    children.push(writer)
    await writer.waitFor('writing')
    await new Promise((resolve) => setTimeout(resolve, seed % 400))
    await writer.kill()

    const store = await reopen()
    const entries = await store.scan('b/')
    await store.close()
    expect(entries).toHaveLength(500)
    const first = entries[0]![1]
    for (const [, value] of entries) expect(value).toEqual(first)
  }
})

test('a batch refused at its third op changes nothing: the delete and the put before it are not applied either', async () => {
  const store = await reopen()
  await store.batch([{ type: 'put', key: 'kept', value: new Uint8Array([1]) }])
  const refused = store.batch([
    { type: 'del', key: 'kept' },
    { type: 'put', key: 'new', value: new Uint8Array([2]) },
    { type: 'put', key: 'bad', value: null as never },
  ])
  await expect(refused).rejects.toMatchObject({ code: 'ESTORE' })
  expect(await store.scan('')).toEqual([['kept', new Uint8Array([1])]])
  await store.close()
  expect(await (await reopen()).scan('')).toEqual([['kept', new Uint8Array([1])]])
})
