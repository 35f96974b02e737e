/** LevelStore keeps what it is given, byte for byte and in order, across close and a new instance. */
import { LevelStore } from '@x/level-store'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { tempFolder, type TempFolder } from './support/temp-folder.js'

let folder: TempFolder
let location: string
const stores: LevelStore[] = []
const openStore = async (): Promise<LevelStore> => {
  const store = new LevelStore(location)
  stores.push(store)
  await store.open()
  return store
}

beforeEach(() => {
  folder = tempFolder()
  location = `${folder.path}/store`
})
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()))
  folder.remove()
})

// A fixed shuffle (no Math.random): the same order every run.
function shuffled<T>(items: T[]): T[] {
  const out = [...items]
  let seed = 7
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    const j = seed % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

test('5,000 keys written in shuffled order over many batches come back in key order, each with its value', async () => {
  const store = await openStore()
  // The shapes of keys @x/robust writes: a prefix, then numbers (padded and not).
  const keys = Array.from({ length: 5000 }, (_, i) => (i % 2 ? `out/${String(i).padStart(8, '0')}` : `sub/${i}`))
  const order = shuffled(keys)
  for (let i = 0; i < order.length; i += 250)
    await store.batch(order.slice(i, i + 250).map((key) => ({ type: 'put', key, value: new TextEncoder().encode(key) })))

  const out = await store.scan('out/')
  expect(out.map(([key]) => key)).toEqual(keys.filter((key) => key.startsWith('out/')).sort())
  for (const [key, value] of out) expect(new TextDecoder().decode(value)).toBe(key)
  expect((await store.scan('sub/')).map(([key]) => key)).toEqual(keys.filter((key) => key.startsWith('sub/')).sort())
  expect(await store.scan('')).toHaveLength(5000)
})

test('binary values: every byte value, empty, and 1 MiB come back unchanged after a reopen by a new instance', async () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i)
  const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31) & 255)
  const first = await openStore()
  await first.batch([
    { type: 'put', key: 'all', value: all },
    { type: 'put', key: 'empty', value: new Uint8Array(0) },
    { type: 'put', key: 'big', value: big },
    { type: 'put', key: 'zeros', value: new Uint8Array(17) },
  ])
  await first.close()

  const second = await openStore()
  const entries = new Map(await second.scan(''))
  expect(entries.get('all')).toEqual(all)
  expect(entries.get('empty')).toEqual(new Uint8Array(0))
  expect(entries.get('big')!.length).toBe(big.length)
  expect(Buffer.compare(entries.get('big')!, big)).toBe(0)
  expect(entries.get('zeros')).toEqual(new Uint8Array(17))
})

test('deletes are kept too: a reopened store does not bring deleted keys back', async () => {
  const first = await openStore()
  await first.batch(
    Array.from({ length: 100 }, (_, i) => ({ type: 'put', key: `m/${String(i).padStart(3, '0')}`, value: new Uint8Array([i]) })),
  )
  await first.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'del', key: `m/${String(i * 2).padStart(3, '0')}` })))
  await first.close()

  const second = await openStore()
  const keys = (await second.scan('m/')).map(([key]) => key)
  expect(keys).toHaveLength(50)
  expect(keys.every((key) => Number(key.slice(2)) % 2 === 1)).toBe(true)
})

test('the same instance reopens after close, several times', async () => {
  const store = await openStore()
  for (let round = 0; round < 3; round++) {
    await store.batch([{ type: 'put', key: `r/${round}`, value: new Uint8Array([round]) }])
    await store.close()
    await store.open()
    expect((await store.scan('r/')).map(([key]) => key)).toEqual(Array.from({ length: round + 1 }, (_, i) => `r/${i}`))
  }
})

test('close() is idempotent, and a store never opened closes without error', async () => {
  const store = await openStore()
  await store.close()
  await store.close()
  await new LevelStore(`${folder.path}/never`).close()
})

test('a missing folder is created, parents included', async () => {
  location = `${folder.path}/a/b/c`
  const store = await openStore()
  await store.batch([{ type: 'put', key: 'k', value: new Uint8Array([1]) }])
  expect(await store.scan('')).toEqual([['k', new Uint8Array([1])]])
})
