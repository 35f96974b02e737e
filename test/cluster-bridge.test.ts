/**
 * Failover across a broker "cluster": two mosquitto daemons bridged to each other
 * (support/bridged-mosquitto.ts), and @x/robust clients given both as a server list. A node is
 * killed with SIGKILL mid-stream; the counts say what arrived. And shared subscriptions
 * (`$share/group/filter`) through one mosquitto: consumers split the stream, none gets a message
 * twice at QoS 2, and one whose link is killed mid-stream loses nothing at QoS 1.
 *
 * Every stream is bounded (a few hundred messages, a few seconds) and stops by itself.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { MqttClient } from '@x/simple'
import { startBridgedPair, type BridgedPair } from './support/bridged-mosquitto.js'
import { startCounter } from './support/counter.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const FAST = { minDelayMs: 100, maxDelayMs: 500 }

/** What a scenario measured, for the note: printed with the test's name. */
const report = (what: string, figures: Record<string, number | string>): void =>
  console.log(
    `[cluster] ${what}: ${Object.entries(figures)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  )

describe('two bridged mosquitto nodes', () => {
  let pair: BridgedPair
  beforeAll(async () => {
    pair = await startBridgedPair()
  }, 60_000)
  afterAll(() => pair?.stop())

  test('a publisher on [A, B] streams QoS 1 while A is killed: online on B at once, and every message published after A died arrives', async () => {
    const topic = uid('failover/pub')
    const counter = await startCounter(pair.b.urls.plain, topic, 1, uid('counter-b'))
    const publisher = new RobustClient({ clientId: uid('publisher'), server: [pair.a.urls.plain, pair.b.urls.plain], reconnect: FAST })
    const connects: Array<{ server: string; at: number }> = []
    publisher.on('connect', (_session, server) => connects.push({ server, at: Date.now() }))
    publisher.on('error', () => {})
    try {
      await publisher.connect()
      expect(connects.map((c) => c.server)).toEqual([pair.a.urls.plain])
      const total = 400
      const sent: Array<Promise<void>> = []
      let killedAt = 0
      let firstAfterKill = 0
      for (let i = 0; i < total; i++) {
        if (i === 150) {
          await pair.killA()
          killedAt = Date.now()
          firstAfterKill = i
        }
        sent.push(publisher.publish(topic, `m${i}`, { qos: 1 }))
        await sleep(2)
      }
      await Promise.all(sent)
      const onB = connects.find((c) => c.server === pair.b.urls.plain)
      expect(onB, 'a connection to B').toBeDefined()
      const failoverMs = (onB as { at: number }).at - killedAt
      const after = Array.from({ length: total - firstAfterKill }, (_, i) => `m${i + firstAfterKill}`)
      await waitFor(() => counter.missing(after).length === 0, 'every message published after A died, at B', 10_000)
      const all = Array.from({ length: total }, (_, i) => `m${i}`)
      report('publisher fails over', {
        sent: total,
        'published after the kill': after.length,
        'arrived at B': all.length - counter.missing(all).length,
        'lost (acknowledged by A, never bridged)': counter.missing(all).length,
        duplicates: counter.duplicated().length,
        'failover ms (A killed → connected to B)': failoverMs,
      })
      // The backoff's first retry is immediate: one connect time, well under the minimum delay.
      expect(failoverMs).toBeLessThan(FAST.minDelayMs + 1000)
    } finally {
      await publisher.close()
      await counter.stop()
      await pair.restartA()
    }
  }, 60_000)

  test('a subscriber on [A, B] while A is killed: it moves to B, subscribes again there, and hears everything published from then on', async () => {
    const topic = uid('failover/sub')
    const subscriber = new RobustClient({ clientId: uid('subscriber'), server: [pair.a.urls.plain, pair.b.urls.plain], reconnect: FAST })
    const heard = new Set<string>()
    subscriber.on('message', (_t, payload) => heard.add(payload.toString()))
    const connects: Array<{ server: string; at: number }> = []
    subscriber.on('connect', (_session, server) => connects.push({ server, at: Date.now() }))
    subscriber.on('error', () => {})
    const publisher = new MqttClient({ clientId: uid('publisher-b'), server: pair.b.urls.plain })
    try {
      await subscriber.connect()
      await subscriber.subscribe(topic, { qos: 1 })
      await publisher.connect()
      const total = 400
      const published: Array<{ text: string; at: number }> = []
      let killedAt = 0
      for (let i = 0; i < total; i++) {
        if (i === 100) {
          await pair.killA()
          killedAt = Date.now()
        }
        const text = `m${i}`
        await publisher.publish(topic, text, { qos: 1 })
        published.push({ text, at: Date.now() })
        publisher.checkMsg()
        await sleep(3)
      }
      const onB = connects.find((c) => c.server === pair.b.urls.plain)
      expect(onB, 'a connection to B').toBeDefined()
      // From the reconnection on B plus a SUBACK's round trip, nothing may be missed.
      const from = (onB as { at: number }).at + 100
      const due = published.filter((p) => p.at > from).map((p) => p.text)
      expect(due.length).toBeGreaterThan(100)
      await waitFor(() => due.every((t) => heard.has(t)), 'everything published after the move, at the subscriber', 10_000)
      report('subscriber fails over', {
        published: total,
        heard: heard.size,
        'published while it moved (before its new subscription)': published.filter(
          (p) => p.at > killedAt && p.at <= from && !heard.has(p.text),
        ).length,
        'failover ms (A killed → connected to B)': (onB as { at: number }).at - killedAt,
      })
    } finally {
      await publisher.disconnect()
      await subscriber.close()
      await pair.restartA()
    }
  }, 60_000)
})

describe('shared subscriptions on one mosquitto', () => {
  let mosquitto: Mosquitto
  beforeAll(async () => {
    mosquitto = await startMosquitto()
  })
  afterAll(() => mosquitto?.stop())

  /** N consumers in one $share group, each through its own fault proxy; what each received. */
  async function consumers(n: number, filter: string, qos: 1 | 2, cleanSession = false) {
    const group = uid('workers')
    const made: Array<{ client: RobustClient; proxy: FaultProxy; got: string[] }> = []
    for (let i = 0; i < n; i++) {
      const proxy = await startFaultProxy({ targetPort: mosquitto.ports.plain })
      const client = new RobustClient({ clientId: uid(`consumer-${i}`), server: proxy.url, reconnect: FAST, cleanSession })
      const got: string[] = []
      client.on('message', (_t, payload) => got.push(payload.toString()))
      client.on('error', () => {})
      await client.connect()
      await client.subscribe(`$share/${group}/${filter}`, { qos })
      made.push({ client, proxy, got })
    }
    await sleep(100) // every SUBACK is in before the stream starts
    return {
      made,
      async close() {
        for (const { client, proxy } of made) {
          await client.close()
          await proxy.close()
        }
      },
    }
  }

  async function stream(topic: string, count: number, qos: 1 | 2, during?: (i: number) => void): Promise<string[]> {
    const publisher = new RobustClient({ clientId: uid('producer'), server: mosquitto.urls.plain })
    const texts = Array.from({ length: count }, (_, i) => `job-${i}`)
    try {
      await publisher.connect()
      const sent: Array<Promise<void>> = []
      for (const [i, text] of texts.entries()) {
        during?.(i)
        sent.push(publisher.publish(topic, text, { qos }))
        if (i % 20 === 19) await sleep(5)
      }
      await Promise.all(sent)
    } finally {
      await publisher.close()
    }
    return texts
  }

  test('three consumers in one group at QoS 2: each gets a share, the shares add up to what was sent, none twice', async () => {
    const topic = uid('jobs')
    const group = await consumers(3, `${topic}/#`, 2)
    try {
      const texts = await stream(`${topic}/a`, 300, 2)
      const all = () => group.made.flatMap((c) => c.got)
      await waitFor(() => all().length >= texts.length, 'every job at some consumer', 10_000)
      await sleep(200) // a duplicate would come now
      const shares = group.made.map((c) => c.got.length)
      report('shared QoS 2', {
        sent: texts.length,
        shares: shares.join(' + '),
        total: all().length,
        duplicates: all().length - new Set(all()).size,
      })
      expect(all().sort()).toEqual([...texts].sort())
      for (const share of shares) expect(share).toBeGreaterThan(0)
    } finally {
      await group.close()
    }
  }, 30_000)

  test('a consumer whose link is killed mid-stream at QoS 1 loses nothing: its session keeps its share until it is back', async () => {
    const topic = uid('jobs')
    const group = await consumers(3, `${topic}/#`, 1)
    try {
      const victim = group.made[1] as (typeof group.made)[number]
      const texts = await stream(`${topic}/b`, 300, 1, (i) => {
        if (i === 100) victim.proxy.cut()
      })
      const union = () => new Set(group.made.flatMap((c) => c.got))
      await waitFor(() => union().size === texts.length, 'every job at some consumer', 15_000)
      const all = group.made.flatMap((c) => c.got)
      report('shared QoS 1, one link killed', {
        sent: texts.length,
        shares: group.made.map((c) => c.got.length).join(' + '),
        'delivered twice (allowed at QoS 1)': all.length - union().size,
        'victim reconnects': victim.proxy.stats.connections - 1,
      })
      expect([...union()].sort()).toEqual([...texts].sort())
    } finally {
      await group.close()
    }
  }, 30_000)

  test('a consumer that dies for good (no session kept): the others take its share of what follows', async () => {
    const topic = uid('jobs')
    const group = await consumers(3, `${topic}/#`, 1, true)
    try {
      const victim = group.made[0] as (typeof group.made)[number]
      let diedAt = -1
      const texts = await stream(`${topic}/c`, 300, 1, (i) => {
        if (i !== 100) return
        diedAt = i
        victim.proxy.cut()
        void victim.client.close()
      })
      // What was published once the broker knew it was gone (a margin of 20 messages) reached the other two.
      const after = texts.slice(diedAt + 20)
      const others = () => new Set(group.made.slice(1).flatMap((c) => c.got))
      await waitFor(() => after.every((t) => others().has(t)), 'the rest of the stream at the two others', 15_000)
      report('shared QoS 1, one consumer gone for good', {
        sent: texts.length,
        shares: group.made.map((c) => c.got.length).join(' + '),
        'after its death, at the others': `${after.filter((t) => others().has(t)).length}/${after.length}`,
      })
    } finally {
      await group.close()
    }
  }, 30_000)
})
