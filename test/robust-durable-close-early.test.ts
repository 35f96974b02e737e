/**
 * close() before the store was read (contract §7: "close() commits what is pending"; a message
 * ended by close() stays in the store, owed): what publish() took before connect() read the store
 * is written after what the store holds, whether connect() was never called or its read was under
 * way. When the store cannot be read (it fails, or does not answer within socketTimeoutMs), those
 * messages reject with ESTORE, not ECLOSED: ECLOSED says "still owed", and they are not.
 */
import { expect, test } from 'vitest'
import { MemoryStore, type MqttError, type RobustClient, type Store } from '@x/robust'
import type { FakeConnection } from './support/fake-broker.js'
import { storedState } from './support/durable-log.js'
import { scriptedRestarts } from './support/durable-scripted.js'
import { rejection, uid } from './support/test-clients.js'
import { now } from './support/wait.js'

const scripted = scriptedRestarts()

/** A client of `store` that never reaches a broker (a closed port), unless given one. */
const client = (clientId: string, store: Store, server = 'mqtt://127.0.0.1:9', socketTimeoutMs = 5000): RobustClient =>
  scripted.client(clientId, server, store, { socketTimeoutMs })

/** A MemoryStore whose scan(), once `slow`, waits until `release()`: a read under way, which `reading` says has begun. */
class SlowStore extends MemoryStore {
  slow = false
  #began = (): void => {}
  readonly reading = new Promise<void>((resolve) => (this.#began = resolve))
  release = (): void => {}
  override async scan(prefix: string): Promise<Array<[key: string, value: Uint8Array]>> {
    if (this.slow) {
      this.#began()
      await new Promise<void>((resolve) => (this.release = resolve))
    }
    return super.scan(prefix)
  }
}

/** A second run on `store`: it restores, and the broker receives `payloads` from it, in order. */
async function deliveredAfterRestart(clientId: string, store: Store, payloads: string[]): Promise<void> {
  const b = await scripted.broker()
  const second = client(clientId, store, b.url)
  const restored = new Promise((resolve) => second.once('restored', resolve))
  await second.connect()
  expect(await restored).toMatchObject({ queued: payloads.length })
  const conn = (await b.connection(0)) as FakeConnection
  const got: string[] = []
  for (const _ of payloads) {
    const publish = await conn.next('publish')
    got.push(new TextDecoder().decode(publish.payload))
    conn.send({ type: 'puback', pid: publish.pid as number })
  }
  expect(got).toEqual(payloads)
}

/** A run that publishes `payload` without connecting and closes: the message stays in `store`. */
async function publishedAndClosed(clientId: string, store: Store, payload: string): Promise<MqttError> {
  const first = client(clientId, store)
  const publishing = rejection(first.publish('t/early', payload, { qos: 1 }))
  await first.close()
  return publishing
}

test('publish(), then close() without connect(): the message is stored, owed (ECLOSED), and the next run sends it', async () => {
  const store = new MemoryStore()
  const id = uid('durable-early')
  expect((await publishedAndClosed(id, store, 'taken before the store was read')).code).toBe('ECLOSED')
  expect((await storedState(store)).messages.map(({ message }) => message.topic)).toEqual(['t/early'])
  await deliveredAfterRestart(id, store, ['taken before the store was read'])
})

test('publish(), connect(), close() while connect() reads the store: the message is written after what the store held', async () => {
  const store = new SlowStore()
  const id = uid('durable-early-reading')
  expect((await publishedAndClosed(id, store, 'held')).code).toBe('ECLOSED')
  store.slow = true
  const first = client(id, store)
  const publishing = rejection(first.publish('t/early', 'during the read', { qos: 1 }))
  const connecting = rejection(first.connect())
  await store.reading
  const closing = first.close()
  store.release()
  await closing
  expect((await connecting).code).toBe('ECLOSED')
  expect((await publishing).code).toBe('ECLOSED')
  store.slow = false
  await deliveredAfterRestart(id, store, ['held', 'during the read'])
})

test('close() without connect() after many messages: the log grows past a snapshot, and what the store held before stays (a snapshot here would know only the new ones)', async () => {
  const store = new MemoryStore()
  const id = uid('durable-early-many')
  expect((await publishedAndClosed(id, store, 'held')).code).toBe('ECLOSED')
  const first = client(id, store)
  const kib = new Uint8Array(1024)
  const publishing = Array.from({ length: 70 }, () => rejection(first.publish('t/many', kib, { qos: 1 })))
  await first.close()
  for (const error of await Promise.all(publishing)) expect(error.code).toBe('ECLOSED')
  const { messages } = await storedState(store)
  expect(messages.length).toBe(71)
  expect(new TextDecoder().decode(messages[0]?.message.payload)).toBe('held')
})

test('a store that cannot be opened: close() rejects what publish() took with that ESTORE, not ECLOSED', async () => {
  const store = new MemoryStore()
  store.open = () => Promise.reject(new Error('locked by another process'))
  const first = client(uid('durable-early-locked'), store)
  const publishing = rejection(first.publish('t/early', 'nowhere to go', { qos: 1 }))
  await first.close()
  const error = await publishing
  expect(error.code).toBe('ESTORE')
  expect(error.message).toMatch(/cannot be opened: locked by another process/)
})

test('a store that does not answer: close() returns within socketTimeoutMs, and what publish() took rejects with ESTORE', async () => {
  const store = new MemoryStore()
  store.open = () => new Promise<void>(() => {})
  const first = client(uid('durable-early-silent'), store, undefined, 300)
  const publishing = rejection(first.publish('t/early', 'nowhere to go', { qos: 1 }))
  const t0 = now()
  await first.close()
  expect(now() - t0).toBeLessThan(2000)
  const error = await publishing
  expect(error.code).toBe('ESTORE')
  expect(error.message).toMatch(/not read within 300 ms/)
})
