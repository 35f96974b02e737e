import { describe, expect, test } from 'vitest'
import { BoundedQueue, type OverflowPolicy } from '../src/index.js'

interface Item {
  id: string
  bytes: number
}

const item = (id: string, bytes = 1): Item => ({ id, bytes })

/** Empties the queue (bounded by its length) and returns the ids in the order shift() gave them. */
function drain(q: BoundedQueue<Item>): string[] {
  const ids: string[] = []
  for (let n = q.length; n > 0; n--) ids.push((q.shift() as Item).id)
  expect(q.shift()).toBeUndefined()
  return ids
}

const ids = (items: Item[]): string[] => items.map((i) => i.id)

describe('bounded by count (maxItems 3)', () => {
  const full = (policy: OverflowPolicy): BoundedQueue<Item> => {
    const q = new BoundedQueue<Item>(3, 1000, policy)
    for (const id of ['a', 'b', 'c']) expect(q.push(item(id, 2))).toEqual({ accepted: true, dropped: [] })
    expect([q.length, q.bytes]).toEqual([3, 6])
    return q
  }

  test("'drop-oldest' takes the new item and drops the oldest", () => {
    const q = full('drop-oldest')
    const result = q.push(item('d', 2))
    expect(result.accepted).toBe(true)
    expect(ids(result.dropped)).toEqual(['a'])
    expect([q.length, q.bytes]).toEqual([3, 6])
    expect(drain(q)).toEqual(['b', 'c', 'd'])
  })

  test("'drop-newest' refuses the new item and reports it as dropped", () => {
    const q = full('drop-newest')
    const d = item('d', 2)
    const result = q.push(d)
    expect(result.accepted).toBe(false)
    expect(result.dropped).toEqual([d])
    expect(result.dropped[0]).toBe(d)
    expect([q.length, q.bytes]).toEqual([3, 6])
    expect(drain(q)).toEqual(['a', 'b', 'c'])
  })

  test("'reject' refuses the new item and drops nothing", () => {
    const q = full('reject')
    expect(q.push(item('d', 2))).toEqual({ accepted: false, dropped: [] })
    expect([q.length, q.bytes]).toEqual([3, 6])
    expect(drain(q)).toEqual(['a', 'b', 'c'])
  })

  test('room made by shift() is usable again under every policy', () => {
    for (const policy of ['drop-oldest', 'drop-newest', 'reject'] as const) {
      const q = full(policy)
      expect(q.shift()?.id).toBe('a')
      expect(q.push(item('d', 2))).toEqual({ accepted: true, dropped: [] })
      expect(drain(q)).toEqual(['b', 'c', 'd'])
    }
  })
})

describe('bounded by bytes (maxBytes 10)', () => {
  const filled = (policy: OverflowPolicy): BoundedQueue<Item> => {
    const q = new BoundedQueue<Item>(100, 10, policy)
    q.push(item('a', 4))
    q.push(item('b', 3))
    q.push(item('c', 3))
    expect([q.length, q.bytes]).toEqual([3, 10])
    return q
  }

  test('an item that exactly fills the remaining bytes is taken', () => {
    const q = new BoundedQueue<Item>(100, 10, 'reject')
    expect(q.push(item('a', 6)).accepted).toBe(true)
    expect(q.push(item('b', 4))).toEqual({ accepted: true, dropped: [] })
    expect(q.bytes).toBe(10)
    expect(q.push(item('c', 1))).toEqual({ accepted: false, dropped: [] })
  })

  test("'drop-oldest' drops as many of the oldest as it takes to fit", () => {
    const q = filled('drop-oldest')
    const first = q.push(item('d', 1))
    expect([first.accepted, ids(first.dropped)]).toEqual([true, ['a']])
    expect(q.bytes).toBe(7)
    const second = q.push(item('e', 9))
    // 7 + 9 > 10: drop b (3), still 13 > 10: drop c (3), now 1 + 9 = 10 fits.
    expect([second.accepted, ids(second.dropped)]).toEqual([true, ['b', 'c']])
    expect([q.length, q.bytes]).toEqual([2, 10])
    expect(drain(q)).toEqual(['d', 'e'])
    expect(q.bytes).toBe(0)
  })

  test("'drop-newest' keeps the queue and reports the new item", () => {
    const q = filled('drop-newest')
    const result = q.push(item('d', 1))
    expect([result.accepted, ids(result.dropped)]).toEqual([false, ['d']])
    expect([q.length, q.bytes]).toEqual([3, 10])
    expect(drain(q)).toEqual(['a', 'b', 'c'])
  })

  test("'reject' keeps the queue and drops nothing", () => {
    const q = filled('reject')
    expect(q.push(item('d', 1))).toEqual({ accepted: false, dropped: [] })
    expect([q.length, q.bytes]).toEqual([3, 10])
    expect(drain(q)).toEqual(['a', 'b', 'c'])
  })
})

describe('an item bigger than maxBytes', () => {
  for (const policy of ['drop-oldest', 'drop-newest', 'reject'] as const) {
    test(`is refused under '${policy}' and costs the queue nothing`, () => {
      const q = new BoundedQueue<Item>(100, 10, policy)
      q.push(item('a', 4))
      q.push(item('b', 4))
      const huge = item('huge', 11)
      const result = q.push(huge)
      expect(result.accepted).toBe(false)
      // Dropping the others would not make it fit: none of them may be sacrificed.
      expect(result.dropped.filter((d) => d !== huge)).toEqual([])
      if (policy === 'drop-newest') expect(result.dropped).toEqual([huge])
      if (policy === 'reject') expect(result.dropped).toEqual([])
      expect([q.length, q.bytes]).toEqual([2, 8])
      expect(drain(q)).toEqual(['a', 'b'])
    })
  }

  test('is refused by an empty queue too', () => {
    const q = new BoundedQueue<Item>(100, 10, 'drop-oldest')
    expect(q.push(item('huge', 11)).accepted).toBe(false)
    expect([q.length, q.bytes]).toEqual([0, 0])
  })

  test('a queue of maxItems 0 takes nothing under any policy', () => {
    for (const policy of ['drop-oldest', 'drop-newest', 'reject'] as const) {
      const q = new BoundedQueue<Item>(0, 10, policy)
      expect(q.push(item('a')).accepted).toBe(false)
      expect(q.length).toBe(0)
    }
  })
})

describe('unshift', () => {
  test('puts items back at the front in their order, whatever the bounds', () => {
    const q = new BoundedQueue<Item>(2, 10, 'reject')
    q.push(item('c', 4))
    q.push(item('d', 4))
    expect(q.shift()?.id).toBe('c')
    q.unshift([item('a', 5), item('b', 5)])
    expect([q.length, q.bytes]).toEqual([3, 14])
    expect(q.push(item('e', 1))).toEqual({ accepted: false, dropped: [] })
    expect(drain(q)).toEqual(['a', 'b', 'd'])
    expect(q.bytes).toBe(0)
  })

  test('after shifting past the compaction point keeps the order', () => {
    const q = new BoundedQueue<Item>(5000, 1_000_000, 'reject')
    for (let i = 0; i < 3000; i++) q.push(item(`m${i}`))
    for (let i = 0; i < 2000; i++) expect(q.shift()?.id).toBe(`m${i}`)
    q.unshift([item('x'), item('y')])
    expect(q.length).toBe(1002)
    const out = drain(q)
    expect(out.slice(0, 3)).toEqual(['x', 'y', 'm2000'])
    expect(out.at(-1)).toBe('m2999')
  })

  test('of 200,000 items at once: no spread of an unbounded array into arguments (RangeError)', () => {
    const q = new BoundedQueue<Item>(10, 10, 'reject')
    q.push(item('last', 1))
    q.unshift(Array.from({ length: 200_000 }, (_, i) => item(`m${i}`, 0)))
    expect(q.length).toBe(200_001)
    expect(q.shift()?.id).toBe('m0')
  })

  test('of nothing changes nothing', () => {
    const q = new BoundedQueue<Item>(3, 10, 'reject')
    q.push(item('a', 2))
    q.unshift([])
    expect([q.length, q.bytes]).toEqual([1, 2])
  })
})

describe('shift and compaction', () => {
  test('thousands of interleaved pushes and shifts keep FIFO order, length and bytes', () => {
    const q = new BoundedQueue<Item>(10_000, 10_000_000, 'reject')
    const model: Item[] = []
    let seed = 7
    const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    let next = 0
    for (let step = 0; step < 20_000; step++) {
      if (random() < 0.55) {
        const it = item(`i${next++}`, 1 + Math.floor(random() * 50))
        expect(q.push(it).accepted).toBe(true)
        model.push(it)
      } else {
        expect(q.shift()).toBe(model.shift())
      }
      if (step % 997 === 0) {
        expect(q.length).toBe(model.length)
        expect(q.bytes).toBe(model.reduce((sum, i) => sum + i.bytes, 0))
      }
    }
    expect(q.length).toBe(model.length)
    expect(drain(q)).toEqual(ids(model))
  })

  test('a long run through a short queue (head far past 1024) drops exactly the oldest', () => {
    const q = new BoundedQueue<Item>(4, 1000, 'drop-oldest')
    const model: Item[] = []
    let droppedCount = 0
    for (let i = 0; i < 5000; i++) {
      const it = item(`k${i}`, 3)
      const { accepted, dropped } = q.push(it)
      expect(accepted).toBe(true)
      const expected = model.length === 4 ? model.splice(0, 1) : []
      expect(dropped).toEqual(expected)
      droppedCount += dropped.length
      model.push(it)
      if (i % 3 === 0) expect(q.shift()).toBe(model.shift())
    }
    expect(droppedCount).toBeGreaterThan(1024)
    expect([q.length, q.bytes]).toEqual([model.length, model.length * 3])
    expect(drain(q)).toEqual(ids(model))
  })
})

describe('clear', () => {
  test('returns what is left, in order, and empties the queue', () => {
    const q = new BoundedQueue<Item>(10, 100, 'reject')
    for (const id of ['a', 'b', 'c', 'd']) q.push(item(id, 5))
    q.shift()
    expect(ids(q.clear())).toEqual(['b', 'c', 'd'])
    expect([q.length, q.bytes]).toEqual([0, 0])
    expect(q.shift()).toBeUndefined()
    expect(q.clear()).toEqual([])
  })

  test('leaves the queue usable with its full bounds', () => {
    const q = new BoundedQueue<Item>(2, 10, 'reject')
    q.push(item('a', 5))
    q.push(item('b', 5))
    q.clear()
    expect(q.push(item('c', 5)).accepted).toBe(true)
    expect(q.push(item('d', 5)).accepted).toBe(true)
    expect(q.push(item('e', 1)).accepted).toBe(false)
    expect(drain(q)).toEqual(['c', 'd'])
  })
})
