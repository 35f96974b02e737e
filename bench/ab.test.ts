/**
 * bench:ab compares what it says it compares: the revision's packages (@x/level-store's too),
 * bundled from their own copy, against the working tree's, both run through a broker; a bad
 * command line or an unknown revision is said so. Small counts: this checks the machinery, it
 * times nothing.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { compare, parse } from './ab.js'
import { bundleFrom } from './lib/bundle.js'

let broker: EmbeddedBroker
beforeAll(async () => {
  broker = await startEmbeddedBroker()
})
afterAll(() => broker.close())

const PACKAGES = fileURLToPath(new URL('../packages/', import.meta.url))
const extracted = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('x-mqtt-ab-'))

/**
 * A copy of `names`' packages (sources and package.json) in a temporary folder, with `file` (under
 * it) made to throw `message` where `anchor` begins a body; the caller removes it (copyFailsTreeConnects does).
 */
function copyThatThrows(names: string[], file: string, anchor: string, message: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'x-mqtt-copy-'))
  try {
    for (const name of names) {
      cpSync(join(PACKAGES, name, 'src'), join(copy, name, 'src'), { recursive: true })
      cpSync(join(PACKAGES, name, 'package.json'), join(copy, name, 'package.json'))
    }
    const path = join(copy, file)
    const source = readFileSync(path, 'utf8')
    const changed = source.replace(anchor, `${anchor}\n    throw new Error('${message}')`)
    expect(changed).not.toBe(source)
    writeFileSync(path, changed)
    return copy
  } catch (error) {
    rmSync(copy, { recursive: true, force: true }) // not left behind when the anchor is gone
    throw error
  }
}

/** The library named `name` of set `set` in the bundle from `packages` (the working tree's without). */
async function libraryOf(set: 'LIBRARIES' | 'LIBRARIES_DURABLE', name: string, packages?: string) {
  const library = (await bundleFrom(packages))[set].find((l) => l.name === name)
  if (!library) throw new Error(`no ${name} in the bundle's ${set}`)
  return library
}

/** `name` of `set` bundled from `copy` fails with `message` at connect(); bundled from the working tree, it connects. Removes `copy`. */
async function copyFailsTreeConnects(set: 'LIBRARIES' | 'LIBRARIES_DURABLE', name: string, copy: string, message: string): Promise<void> {
  let fromCopy: Promise<{ close(): Promise<void> }> | undefined
  try {
    fromCopy = (await libraryOf(set, name, copy)).connect(broker.url, `ab-copy-${set}`)
    await expect(fromCopy).rejects.toThrow(message)
    const side = await (await libraryOf(set, name)).connect(broker.url, `ab-tree-${set}`)
    await side.close()
  } finally {
    // Connected after all (the test failed): closed, so that its store's folder goes too.
    await fromCopy?.then(
      (side) => side.close(),
      () => {},
    )
    rmSync(copy, { recursive: true, force: true })
  }
}

test('a bundle from another copy of packages/ runs that copy: a client changed there fails, the working tree one connects', async () => {
  const copy = copyThatThrows(
    ['errno', 'simple', 'robust'],
    'simple/src/client/client.ts',
    'constructor(options: ClientOptions) {',
    'built from the copy',
  )
  await copyFailsTreeConnects('LIBRARIES', '@x/simple', copy, 'built from the copy')
}, 60_000)

test("the copy's @x/level-store is the one bundled with it: a LevelStore changed there fails, the working tree's connects; a copy without one takes the working tree's (the test above)", async () => {
  const names = ['errno', 'simple', 'robust', 'level-store']
  const copy = copyThatThrows(names, 'level-store/src/level-store.ts', 'async open(): Promise<void> {', 'store from the copy')
  await copyFailsTreeConnects('LIBRARIES_DURABLE', '@x/robust', copy, 'store from the copy')
}, 60_000)

test('HEAD against the working tree: a msg/s and a CPU row for each of ours, a sample from each build, nothing left in the temporary folder', async () => {
  const before = extracted().length
  const { rows, before: column } = await compare({ rev: 'HEAD', rows: 'plain', qos: 1, size: 64, window: 20, count: 200, rounds: 1 })
  expect(column).toMatch(/^HEAD \([0-9a-f]{7}\)$/)
  expect(rows.map((r) => r.measure)).toEqual(['@x/simple', '@x/simple: CPU per message', '@x/robust', '@x/robust: CPU per message'])
  for (const row of rows) {
    expect([...row.samples.keys()]).toEqual([column, 'working tree'])
    for (const samples of row.samples.values()) {
      expect(samples).toHaveLength(1)
      expect(samples[0]).toBeGreaterThan(0)
    }
  }
  expect(extracted().length).toBe(before)
}, 120_000)

test('an unknown revision, and a bad command line, are said so', async () => {
  await expect(compare({ rev: 'no-such-revision', rows: 'plain', qos: 1, size: 64, window: 20, count: 10, rounds: 1 })).rejects.toThrow(
    'git knows no commit "no-such-revision"',
  )
  expect(parse(['HEAD~1'])).toEqual({ rev: 'HEAD~1', rows: 'plain', qos: 1, size: 64, window: 100, count: 40_000, rounds: 5 })
  expect(parse(['v1', '--rows', 'durable-wide', '--qos', '2', '--rounds', '3'])).toMatchObject({ rows: 'durable-wide', qos: 2, rounds: 3 })
  expect(() => parse([])).toThrow('one revision to compare the working tree with')
  expect(() => parse(['HEAD', '--rows', 'fast'])).toThrow(
    '--rows fast: not one of plain, v5, durable, wide, durable-wide, durable-nosync-wide',
  )
  expect(() => parse(['HEAD', '--qos', '3'])).toThrow('--qos 3: a whole number from 0 to 2')
})
