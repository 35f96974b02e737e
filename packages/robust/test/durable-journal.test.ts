/**
 * The journal of durable sessions: what is recorded until a batch goes is one batch (group
 * commit), one value of the log; batches go one at a time in order, at the next turn when someone
 * waits, else after the idle timer; a writer waits for exactly what was recorded before it; a
 * snapshot replaces the log now and then; and a failed batch stops everything after it, loudly.
 */
import { expect, onTestFinished, test, vi } from 'vitest'
import { MemoryStore, type StoreOp } from '../src/store.js'
import { Journal } from '../src/durable-journal.js'
import { META_CLIENT, R, segmentKey } from '../src/durable-records.js'
import { readRecords, replay } from '../src/durable-replay.js'

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

test('the records of one turn are one value under the next log key, whatever their number', async () => {
  const store = await opened()
  const journal = new Journal(store, 'test')
  for (let i = 0; i < 1000; i++) journal.record((records) => records.u8(R.INBOUND).u16(i))
  await journal.flush()
  journal.record((records) => records.u8(R.INBOUND_DONE).u16(0))
  journal.put(META_CLIENT, bytes(1))
  await journal.flush()
  expect(store.batches.map((b) => b.map((op) => `${op.type} ${op.key}`))).toEqual([
    [`put ${segmentKey(1)}`],
    [`put ${META_CLIENT}`, `put ${segmentKey(2)}`],
  ])
  const values = (await store.scan('l/')).map(([, value]) => value)
  expect(readRecords(values[0] as Uint8Array)).toHaveLength(1000)
  expect(replay(values).inbound).toHaveLength(999)
})

test('past 64 KiB appended since the last snapshot, one snapshot of the whole state replaces the log, in the same batch', async () => {
  const store = await opened()
  const journal = new Journal(store, 'test')
  const held = new Set<number>()
  journal.snapshot = (records) => {
    for (const pid of held) records.u8(R.INBOUND).u16(pid)
  }
  // 3 bytes a record: 30,000 records (90 KB) over 30 turns, each id taken and released but the last 5.
  for (let turn = 0; turn < 30; turn++) {
    for (let i = 0; i < 500; i++) {
      const pid = turn * 500 + i + 1
      held.add(pid)
      journal.record((records) => records.u8(R.INBOUND).u16(pid))
      if (pid <= 14_995) {
        held.delete(pid)
        journal.record((records) => records.u8(R.INBOUND_DONE).u16(pid))
      }
    }
    await journal.flush()
  }
  const compacting = store.batches.findIndex((b) => b.some((op) => op.type === 'del'))
  expect(compacting, 'a batch that compacts').toBeGreaterThan(0)
  // Every log key before it deleted, and its value a snapshot: RESET, then the ids held then.
  const batch = store.batches[compacting] as StoreOp[]
  expect(batch.filter((op) => op.type === 'del').map((op) => op.key)).toEqual(
    Array.from({ length: compacting }, (_, i) => segmentKey(i + 1)),
  )
  const snapshot = batch.find((op) => op.type === 'put') as StoreOp & { value: Uint8Array }
  expect(snapshot.key).toBe(segmentKey(compacting + 1))
  expect(readRecords(snapshot.value)[0]).toEqual({ type: R.RESET })
  // The log as stored replays to the state, and stays small.
  const log = await store.scan('l/')
  expect(replay(log.map(([, value]) => value)).inbound).toEqual([14_996, 14_997, 14_998, 14_999, 15_000])
  expect(log.reduce((sum, [, value]) => sum + value.length, 0)).toBeLessThan(64 * 1024 + 10_000)
})

test('resumed on a log read back: the next value takes the next key, and the next snapshot deletes what was read', async () => {
  const store = await opened()
  const journal = new Journal(store, 'test')
  journal.snapshot = () => {}
  journal.resume([7, 9], 64 * 1024, 0)
  journal.record((records) => records.u8(R.INBOUND).u16(1))
  await journal.flush()
  expect(store.batches[0]?.map((op) => `${op.type} ${op.key}`)).toEqual([
    `del ${segmentKey(7)}`,
    `del ${segmentKey(9)}`,
    `put ${segmentKey(10)}`,
  ])
})

test('changes nobody waits for wait for the idle timer (10 ms) and go as one batch; a waiter makes the batch go at the next turn', async () => {
  // The idle timer is faked (setImmediate stays real): the test does not hang on how busy the machine is.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  try {
    const store = await opened()
    const journal = new Journal(store, 'test')
    journal.put('a', bytes(1))
    await new Promise((resolve) => setImmediate(resolve))
    journal.put('b', bytes(2)) // another turn, still nobody waiting
    await new Promise((resolve) => setImmediate(resolve))
    vi.advanceTimersByTime(9)
    expect(store.batches).toEqual([])
    vi.advanceTimersByTime(1) // the idle timer's batch, nobody asking for it
    expect(store.batches.map((b) => b.map((op) => op.key))).toEqual([['a', 'b']])
    await journal.flush()

    journal.put('c', bytes(3))
    const ran: string[] = []
    journal.whenCommitted(journal.recorded, () => ran.push('c durable'))
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    expect(ran).toEqual(['c durable'])
    expect(store.batches.map((b) => b.map((op) => op.key))).toEqual([['a', 'b'], ['c']])
  } finally {
    vi.useRealTimers()
  }
})

// close() flushes, then stops the journal: the store is its owner's again, and no batch or timer of the client outlives close().
test('stop(): a batch under way is the last, later changes are not written, no timer is left, and what still waits is told ECLOSED', async () => {
  // The timers this test's code starts and has not ended (fired or cleared). Counting the process's
  // Timeout handles instead took in the runner's and earlier tests' (one ending here failed it).
  const live = new Set<unknown>()
  const [realSet, realClear] = [globalThis.setTimeout, globalThis.clearTimeout]
  onTestFinished(() => void vi.restoreAllMocks())
  vi.spyOn(globalThis, 'setTimeout').mockImplementation(((run: () => void, ms?: number) => {
    const timer = realSet(() => {
      live.delete(timer)
      run()
    }, ms)
    live.add(timer)
    return timer
  }) as typeof setTimeout)
  vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((timer: ReturnType<typeof setTimeout> | undefined) => {
    live.delete(timer)
    realClear(timer)
  }) as typeof clearTimeout)
  const store = await opened()
  store.hold = true
  const journal = new Journal(store, 'test')
  journal.put('a', bytes(1))
  const waits: string[] = []
  journal.whenCommitted(journal.recorded, () => waits.push('a durable'))
  await new Promise((resolve) => setImmediate(resolve)) // the batch with 'a' is under way
  journal.put('b', bytes(2)) // recorded before stop(): it would go in the next batch
  journal.whenCommitted(
    journal.recorded,
    () => waits.push('b durable'),
    (error) => waits.push(error.code),
  )
  journal.stop()
  journal.put('c', bytes(3))
  journal.record((records) => records.u8(R.SETTLED).f64(1))
  store.hold = false
  store.release?.()
  await new Promise((resolve) => setTimeout(resolve, 30)) // past the idle timer
  expect(store.batches.map((b) => b.map((op) => op.key))).toEqual([['a']])
  expect(waits).toEqual(['a durable', 'ECLOSED'])
  await expect(journal.flush()).rejects.toMatchObject({ code: 'ECLOSED' })
  // Stopped while a change waits for the idle timer: the timer goes with it.
  const idle = new Journal(store, 'idle')
  idle.put('x', bytes(1))
  idle.stop()
  expect(live.size).toBe(0)
})
