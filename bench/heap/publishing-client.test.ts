/**
 * The memory rows' machinery: the child process that measures one publishing client runs, for
 * @x/simple and for @x/robust with a LevelStore (whose LevelDB opens inside that child), and
 * reports memory it saw grow. Few messages against the embedded broker: this checks the harness,
 * the figures themselves are `pnpm bench`'s.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import { DURABLE, publishingMemory } from './measure.js'

let broker: EmbeddedBroker
beforeAll(async () => {
  broker = await startEmbeddedBroker()
})
afterAll(() => broker.close())

test.each(['@x/simple', DURABLE])('%s: a child process publishes 2,000 QoS 1 messages and reports its heap and RSS', async (name) => {
  const memory = await publishingMemory(name, broker.url, 2000)
  // Sampled at least every 250 acknowledgements, and once connected and once at the end.
  expect(memory.samples).toBeGreaterThanOrEqual(2000 / 250 + 2)
  expect(memory.peakHeap).toBeGreaterThan(0)
  expect(memory.peakRss).toBeGreaterThan(0)
  // The peak is the highest heap seen, and what is kept after a gc was in use at the end.
  expect(memory.peakHeap).toBeGreaterThanOrEqual(memory.heapAfter)
})

test('a library it does not know fails the child, loudly', async () => {
  await expect(publishingMemory('no such client', broker.url, 10)).rejects.toThrow(/no library no such client/)
})
