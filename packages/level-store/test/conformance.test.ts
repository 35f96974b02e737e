/**
 * What every Store must do (contract §7), run against MemoryStore (the reference, from @x/robust)
 * and LevelStore alike: the client may be given either and must see no difference.
 */
import { MemoryStore, type Store } from '@x/robust'
import { LevelStore } from '@x/level-store'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { tempFolder, type TempFolder } from './support/temp-folder.js'

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)

describe.each([
  ['MemoryStore', (): Store => new MemoryStore()],
  ['LevelStore', (folder: string): Store => new LevelStore(`${folder}/store`)],
])('%s', (_name, make) => {
  let folder: TempFolder
  let store: Store
  beforeEach(async () => {
    folder = tempFolder()
    store = make(folder.path)
    await store.open()
  })
  afterEach(async () => {
    await store.close()
    folder.remove()
  })

  test('a new store is empty', async () => {
    expect(await store.scan('')).toEqual([])
  })

  test('puts are read back by scan, as plain Uint8Arrays', async () => {
    await store.batch([
      { type: 'put', key: 'a', value: bytes(1, 2, 3) },
      { type: 'put', key: 'b', value: bytes() },
    ])
    const entries = await store.scan('')
    expect(entries).toEqual([
      ['a', bytes(1, 2, 3)],
      ['b', bytes()],
    ])
    for (const [, value] of entries) expect(Object.getPrototypeOf(value)).toBe(Uint8Array.prototype)
  })

  test('a put replaces the value; a del removes the key; deleting a missing key is no error', async () => {
    await store.batch([{ type: 'put', key: 'a', value: bytes(1) }])
    await store.batch([{ type: 'put', key: 'a', value: bytes(2) }])
    expect(await store.scan('')).toEqual([['a', bytes(2)]])
    await store.batch([
      { type: 'del', key: 'a' },
      { type: 'del', key: 'never-there' },
    ])
    expect(await store.scan('')).toEqual([])
  })

  test('ops of one batch apply in order: the last op on a key wins', async () => {
    await store.batch([
      { type: 'put', key: 'x', value: bytes(1) },
      { type: 'del', key: 'x' },
      { type: 'del', key: 'y' },
      { type: 'put', key: 'y', value: bytes(2) },
    ])
    expect(await store.scan('')).toEqual([['y', bytes(2)]])
  })

  test('an empty batch changes nothing', async () => {
    await store.batch([{ type: 'put', key: 'a', value: bytes(1) }])
    await store.batch([])
    expect(await store.scan('')).toEqual([['a', bytes(1)]])
  })

  test('scan gives exactly the keys that start with the prefix, in key order', async () => {
    const keys = ['q/2', 'q/10', 'q/1', 'q', 'q0', 'p/1', 'q/', 'r', 'q/1/a', 'Q/1']
    await store.batch(keys.map((key, i) => ({ type: 'put', key, value: bytes(i) })))
    expect((await store.scan('q/')).map(([key]) => key)).toEqual(['q/', 'q/1', 'q/1/a', 'q/10', 'q/2'])
    expect((await store.scan('')).map(([key]) => key)).toEqual([...keys].sort())
    expect(await store.scan('z')).toEqual([])
  })

  test('keys compare as UTF-16 code units, also beyond ASCII', async () => {
    // '😀' < '\uffff' in JavaScript (its first code unit, the surrogate 0xD83D, is below 0xFFFF), the reverse of UTF-8 byte order.
    const keys = ['k/😀', 'k/\uffff', 'k/\ue000', 'k/é', 'k/z', 'k/\u0800', 'k/𝄞x']
    await store.batch(keys.map((key, i) => ({ type: 'put', key, value: bytes(i) })))
    expect((await store.scan('k/')).map(([key]) => key)).toEqual([...keys].sort())
  })

  test('the store keeps its own copy: changing the array after the batch changes nothing', async () => {
    const value = bytes(1, 2)
    await store.batch([{ type: 'put', key: 'a', value }])
    value[0] = 9
    expect(await store.scan('')).toEqual([['a', bytes(1, 2)]])
  })

  test('a value that is a view into a larger buffer is stored as the view alone', async () => {
    const whole = bytes(0, 1, 2, 3, 4, 5)
    await store.batch([{ type: 'put', key: 'a', value: whole.subarray(2, 4) }])
    expect(await store.scan('')).toEqual([['a', bytes(2, 3)]])
  })

  test('open() twice is the same as once', async () => {
    await store.batch([{ type: 'put', key: 'a', value: bytes(1) }])
    await Promise.all([store.open(), store.open()])
    expect(await store.scan('')).toEqual([['a', bytes(1)]])
  })

  test('closed, it refuses batch and scan; opened again, it has what it had', async () => {
    await store.batch([{ type: 'put', key: 'a', value: bytes(1) }])
    await store.close()
    await expect(store.batch([{ type: 'put', key: 'b', value: bytes(2) }])).rejects.toThrow()
    await expect(store.scan('')).rejects.toThrow()
    await store.open()
    expect(await store.scan('')).toEqual([['a', bytes(1)]])
  })
})
