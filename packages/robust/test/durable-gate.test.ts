/**
 * The gate of durable sessions: a packet goes to the link only once the change it stands for is
 * durable, and when the store fails what is held is dropped and every wait for it ends (no
 * drain() or end() left hanging on a store that will never write).
 */
import { expect, test } from 'vitest'
import type { Link, Transport } from '@x/simple'
import { gated } from '../src/durable-gate.js'
import { Journal } from '../src/durable-journal.js'
import { MemoryStore, type StoreOp } from '../src/store.js'

/** A link that records what it is given. */
function recordingTransport(): { transport: Transport; written: Uint8Array[] } {
  const written: Uint8Array[] = []
  const link: Link = {
    write: (bytes) => (written.push(bytes), true),
    drain: async () => {},
    buffered: 0,
    pause: () => {},
    resume: () => {},
    end: async () => {},
    destroy: () => {},
  }
  return { transport: async () => link, written }
}

/** A store whose next batch waits until told to succeed or fail. */
class HeldStore extends MemoryStore {
  settle: ((error?: Error) => void) | undefined
  override async batch(ops: readonly StoreOp[]): Promise<void> {
    const error = await new Promise<Error | undefined>((resolve) => (this.settle = resolve))
    if (error) throw error
    await super.batch(ops)
  }
}

const target = { host: '127.0.0.1', port: 1, tls: undefined, path: undefined, timeoutMs: 100 }
const handlers = { onData: () => {}, onClose: () => {} }
const PUBREC = Uint8Array.of(0x50, 2, 0, 7)

async function setUp(): Promise<{ store: HeldStore; journal: Journal; link: Link; written: Uint8Array[] }> {
  const store = new HeldStore()
  await store.open()
  const journal = new Journal(store, 'test')
  journal.onFailure = () => {}
  const { transport, written } = recordingTransport()
  // As durable.ts does for PUBREC: the inbound id is recorded, and the packet waits for that change.
  const link = await gated(transport, journal, () => journal.put('in/00007', new Uint8Array(0)))(target, handlers)
  return { store, journal, link, written }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

test('a packet waits for the change it stands for, then goes', async () => {
  const { store, link, written } = await setUp()
  link.write(PUBREC)
  await turn()
  expect(written).toEqual([])
  store.settle?.()
  await turn()
  expect(written).toEqual([PUBREC])
})

test('the store fails: what is held is never sent, and drain() and end() end', async () => {
  const { store, link, written } = await setUp()
  link.write(PUBREC)
  const drained = link.drain()
  const ended = link.end()
  await turn()
  store.settle?.(new Error('disk full'))
  await expect(
    Promise.race([Promise.all([drained, ended]).then(() => 'ended'), new Promise((r) => setTimeout(r, 500, 'hanging'))]),
  ).resolves.toBe('ended')
  expect(written).toEqual([])
  expect(link.buffered).toBe(0)
})
