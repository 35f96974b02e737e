/**
 * The journal of durable sessions: what is recorded in one event-loop turn is one batch (group
 * commit), batches go one at a time in order, a writer waits for exactly what was recorded before
 * it, and a failed batch stops everything after it, loudly.
 */
import { expect, test } from 'vitest'
import { MemoryStore, type StoreOp } from '../src/store.js'
import { Journal } from '../src/durable-journal.js'

class CountingStore extends MemoryStore {
  readonly batches: StoreOp[][] = []
  failOn = Infinity
  release: (() => void) | undefined
  hold = false
  override async batch(ops: readonly StoreOp[]): Promise<void> {
    if (this.hold) await new Promise<void>((resolve) => (this.release = resolve))
    if (this.batches.length >= this.failOn) throw new Error('disk full')
    this.batches.push([...ops])
    await super.batch(ops)
  }
}

const bytes = (n: number): Uint8Array => Uint8Array.of(n)

async function opened(): Promise<CountingStore> {
  const store = new CountingStore()
  await store.open()
  return store
}

test('a burst of one turn is one batch; the next turn is the next batch', async () => {
  const store = await opened()
  const journal = new Journal(store, 'test')
  for (let i = 0; i < 1000; i++) journal.put(`q/${String(i).padStart(4, '0')}`, bytes(i % 256))
  await journal.flush()
  journal.del('q/0000')
  await journal.flush()
  expect(store.batches.map((b) => b.length)).toEqual([1000, 1])
  expect((await store.scan('q/')).length).toBe(999)
})

test('whenCommitted(mark) runs once everything up to the mark is durable, not later changes', async () => {
  const store = await opened()
  store.hold = true
  const journal = new Journal(store, 'test')
  journal.put('a', bytes(1))
  const mark = journal.recorded
  const ran: string[] = []
  journal.whenCommitted(mark, () => ran.push('first'))
  await new Promise((resolve) => setImmediate(resolve))
  journal.put('b', bytes(2)) // recorded while the first batch is being written
  journal.whenCommitted(journal.recorded, () => ran.push('second'))
  expect(ran).toEqual([])
  store.hold = false
  store.release?.()
  await journal.flush()
  expect(ran).toEqual(['first', 'second'])
  expect(store.batches.map((b) => b.map((op) => op.key))).toEqual([['a'], ['b']])
  // Already durable: at once.
  journal.whenCommitted(mark, () => ran.push('at once'))
  expect(ran.at(-1)).toBe('at once')
})

test('a failed batch: ESTORE naming the store and the cause, told once; nothing after it is written or run', async () => {
  const store = await opened()
  store.failOn = 1
  const journal = new Journal(store, '"./state"')
  const failures: unknown[] = []
  journal.onFailure = (error) => failures.push(error)
  journal.put('a', bytes(1))
  await journal.flush()
  journal.put('b', bytes(2))
  const ran: string[] = []
  journal.whenCommitted(journal.recorded, () => ran.push('never'))
  await expect(journal.flush()).rejects.toMatchObject({ code: 'ESTORE', message: expect.stringMatching(/"\.\/state".*disk full/) })
  expect(failures).toHaveLength(1)
  journal.put('c', bytes(3))
  await expect(journal.flush()).rejects.toMatchObject({ code: 'ESTORE' })
  expect(ran).toEqual([])
  expect(store.batches.map((b) => b.map((op) => op.key))).toEqual([['a']])
})
