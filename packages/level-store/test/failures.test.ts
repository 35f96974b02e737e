/**
 * Every way a LevelStore fails is loud and named (contract §7): an MqttError with code ESTORE
 * whose message names the store's location and the cause in words, the database's error as its
 * cause. Nothing is done silently and nothing half.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MqttError } from '@x/errno'
import { LevelStore } from '@x/level-store'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { runFixture, type Child } from './support/child.js'
import { tempFolder, type TempFolder } from './support/temp-folder.js'

let folder: TempFolder
let location: string
const stores: LevelStore[] = []
const children: Child[] = []
const newStore = (at = location): LevelStore => {
  const store = new LevelStore(at)
  stores.push(store)
  return store
}

beforeEach(() => {
  folder = tempFolder()
  location = join(folder.path, 'store')
})
afterEach(async () => {
  await Promise.all(children.splice(0).map((child) => child.kill()))
  await Promise.all(stores.splice(0).map((store) => store.close().catch(() => {})))
  chmodSync(folder.path, 0o700)
  folder.remove()
})

/** The rejection of `promise`, checked to be a named ESTORE MqttError. */
async function storeFailure(promise: Promise<unknown>, words: RegExp, at = location): Promise<MqttError> {
  const error = await promise.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MqttError)
  const mqttError = error as MqttError
  expect(mqttError.code).toBe('ESTORE')
  expect(mqttError.errno).toBe(115)
  expect(mqttError.message).toContain(at)
  expect(mqttError.message).toMatch(words)
  return mqttError
}

/** Codes along an error's cause chain. */
const causeCodes = (error: unknown): unknown[] => {
  const codes = []
  for (let e = (error as { cause?: unknown }).cause; e; e = (e as { cause?: unknown }).cause) codes.push((e as { code?: unknown }).code)
  return codes
}

async function fill(at: string, count: number): Promise<void> {
  const store = new LevelStore(at)
  await store.open()
  await store.batch(
    Array.from({ length: count }, (_, i) => ({
      type: 'put',
      key: `k/${String(i).padStart(5, '0')}`,
      value: new Uint8Array(100).fill(i & 255),
    })),
  )
  await store.close()
}

test('a folder another process has open: "locked by another process", LEVEL_LOCKED under the cause', async () => {
  const holder = runFixture('hold-open', [location])
  children.push(holder)
  await holder.waitFor('open')
  const error = await storeFailure(newStore().open(), /Cannot open the store at .*: it is locked by another process/)
  expect(causeCodes(error)).toEqual(['LEVEL_DATABASE_NOT_OPEN', 'LEVEL_LOCKED'])

  // Once the other process has gone, the same instance opens.
  await holder.kill()
  await stores[0]!.open()
})

test('the same folder opened twice in one process: the second is refused as locked', async () => {
  await newStore().open()
  await storeFailure(newStore().open(), /locked by another process/)
})

test('a corrupt store (CURRENT garbled): "it is corrupt", LEVEL_CORRUPTION under the cause', async () => {
  await fill(location, 10)
  writeFileSync(join(location, 'CURRENT'), 'garbage')
  const error = await storeFailure(newStore().open(), /Cannot open the store at .*: it is corrupt \(Corruption: /)
  expect(causeCodes(error)).toEqual(['LEVEL_DATABASE_NOT_OPEN', 'LEVEL_CORRUPTION'])
})

test('a corrupt store (MANIFEST truncated): "it is corrupt"', async () => {
  await fill(location, 10)
  const manifest = readdirSync(location).find((file) => file.startsWith('MANIFEST-'))!
  truncateSync(join(location, manifest), 10)
  await storeFailure(newStore().open(), /it is corrupt/)
})

test('a corrupt table file found while reading: scan rejects with "it is corrupt"', async () => {
  await fill(location, 2000)
  // Reopened twice, LevelDB has moved the data from its log into a table file (.ldb).
  for (let i = 0; i < 2; i++) {
    const store = new LevelStore(location)
    await store.open()
    await store.close()
  }
  const tables = readdirSync(location).filter((file) => file.endsWith('.ldb'))
  expect(tables.length).toBeGreaterThan(0)
  for (const table of tables) {
    const bytes = readFileSync(join(location, table))
    bytes.fill(0x55, 100, Math.min(bytes.length, 3000))
    writeFileSync(join(location, table), bytes)
  }
  const store = newStore()
  await store.open()
  const error = await storeFailure(store.scan('k/'), /Cannot read the store at .*: it is corrupt/)
  expect((error.cause as { code?: unknown }).code).toBe('LEVEL_CORRUPTION')
})

test('a file where the folder should be: "not a folder"', async () => {
  writeFileSync(location, 'not a folder')
  const error = await storeFailure(newStore().open(), /Cannot open the store at .*: the path is not a folder/)
  expect(causeCodes(error)).toEqual(['LEVEL_DATABASE_NOT_OPEN', 'EEXIST'])
  await storeFailure(newStore(join(location, 'inner')).open(), /the path is not a folder/, join(location, 'inner'))
})

test('a folder the process may not write to: "permission denied"', async () => {
  const readOnly = join(folder.path, 'read-only')
  mkdirSync(readOnly, { mode: 0o555 })
  const at = join(readOnly, 'store')
  if (process.getuid?.() !== 0) {
    await storeFailure(newStore(at).open(), /Cannot open the store at .*: permission denied/, at)
    return
  }
  // root may write anywhere: the attempt is made by a child running as nobody.
  chmodSync(folder.path, 0o755)
  const child = runFixture('hold-open', [at], { uid: 65534, gid: 65534 })
  children.push(child)
  const { code } = await child.exited
  expect(code).not.toBe(0)
  expect(child.stderr).toMatch(/MqttError: Cannot open the store at .*read-only\/store: permission denied/)
  expect(existsSync(at)).toBe(false)
})

test('batch and scan after close: "it is not open", the database error as cause', async () => {
  const store = newStore()
  await store.open()
  await store.close()
  const write = await storeFailure(
    store.batch([{ type: 'put', key: 'a', value: new Uint8Array([1]) }]),
    /Cannot write to the store at .*: it is not open/,
  )
  expect((write.cause as { code?: unknown }).code).toBe('LEVEL_DATABASE_NOT_OPEN')
  await storeFailure(store.scan(''), /Cannot read the store at .*: it is not open/)
})

test('batch and scan before open(): "it is not open"', async () => {
  const store = newStore()
  await storeFailure(
    store.batch([{ type: 'put', key: 'a', value: new Uint8Array([1]) }]),
    /Cannot write to the store at .*: it is not open/,
  )
  await storeFailure(store.scan(''), /Cannot read the store at .*: it is not open/)
  expect(existsSync(location)).toBe(false)
})

test('an op that is not a put of a Uint8Array under a well-formed string key is refused, saying which op', async () => {
  const store = newStore()
  await store.open()
  const put = (key: unknown, value: unknown): never => ({ type: 'put', key, value }) as never
  await storeFailure(
    store.batch([put('a', new Uint8Array(1)), put('b', 'text')]),
    /op 1 of the batch has a value that is not a Uint8Array; nothing was written/,
  )
  await storeFailure(store.batch([put('a', {})]), /op 0 of the batch has a value that is not a Uint8Array/)
  await storeFailure(store.batch([put(7, new Uint8Array(1))]), /op 0 of the batch has a key that is not a well-formed string/)
  // A lone surrogate would be stored as U+FFFD, merging two keys into one.
  await storeFailure(store.batch([put('a\ud800', new Uint8Array(1))]), /op 0 of the batch has a key that is not a well-formed string/)
  await storeFailure(store.batch([{ type: 'move', key: 'a' } as never]), /op 0 of the batch is neither/)
  expect(await store.scan('')).toEqual([])
})

test('options that are not { sync: true | false } are refused at construction, saying which', () => {
  const refused = (options: unknown, words: RegExp): void => {
    const error = (() => {
      try {
        new LevelStore(location, options as never)
      } catch (caught) {
        return caught
      }
      throw new Error(`new LevelStore(…, ${JSON.stringify(options)}) did not throw`)
    })()
    expect(error).toBeInstanceOf(MqttError)
    expect(error).toMatchObject({ code: 'ESTORE' })
    expect((error as Error).message).toMatch(words)
  }
  refused({ sync: 'yes' }, /Cannot open the store at .*: options\.sync must be true or false, not "yes"/)
  refused({ sync: 0 }, /options\.sync must be true or false, not 0/)
  refused(null, /the options must be an object \(\{ sync \}\)/)
  refused('nosync', /the options must be an object/)
  expect(new LevelStore(location, {}).location).toBe(location)
  expect(new LevelStore(location, { sync: false }).location).toBe(location)
  expect(existsSync(location)).toBe(false) // nothing opened
})
