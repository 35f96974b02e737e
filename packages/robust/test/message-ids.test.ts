/**
 * The ids @x/robust gives messages published without one (with a store): what `'delivered'` and
 * `'drop'` carry for a message restored after a restart, so they must not repeat across restarts.
 * A device without a real-time clock boots to the same time every time (1970 plus its uptime, until
 * NTP answers), so a clock is not enough to tell two runs apart.
 */
import { afterEach, expect, test, vi } from 'vitest'
import { RobustClient } from '../src/robust-client.js'
import { MemoryStore } from '../src/store.js'

afterEach(() => vi.restoreAllMocks())

/** The id a new client with a store gives the first message it publishes, seen in the 'drop' that overflow makes of it. */
async function firstId(): Promise<string | undefined> {
  const client = new RobustClient({
    clientId: 'pump-7',
    server: 'mqtt://127.0.0.1:9',
    store: new MemoryStore(),
    queue: { maxMessages: 1, overflow: 'drop-oldest' },
  })
  let id: string | undefined
  client.on('drop', (message) => (id ??= message.id))
  client.publish('t', 'first', { qos: 1 }).catch(() => {})
  client.publish('t', 'second', { qos: 1 }).catch(() => {})
  await client.close()
  return id
}

test('two clients started at the same millisecond (two boots of a device without a clock) give their first messages different ids', async () => {
  vi.spyOn(Date, 'now').mockReturnValue(42_000)
  const [a, b] = [await firstId(), await firstId()]
  expect(a).toEqual(expect.any(String))
  expect(b).toEqual(expect.any(String))
  expect(a).not.toBe(b)
})

test('one client gives each message an id of its own', async () => {
  const client = new RobustClient({ clientId: 'pump-7', server: 'mqtt://127.0.0.1:9', store: new MemoryStore(), queue: { maxMessages: 1, overflow: 'drop-oldest' } })
  const ids: string[] = []
  client.on('drop', (message) => ids.push(message.id as string))
  for (let i = 0; i < 5; i++) client.publish('t', `m${i}`, { qos: 1 }).catch(() => {})
  await client.close()
  expect(ids).toHaveLength(4)
  expect(new Set(ids).size).toBe(4)
})
