/**
 * Outbound topic aliases against mosquitto 2.0.11 on its defaults (Topic Alias Maximum 10 in its
 * CONNACK): 1,000 messages on three topics, counted on the wire by a proxy that decodes every
 * packet. With aliases, the first PUBLISH of a topic carries only its name, the second its name
 * and a new alias, every later one the alias alone (an empty topic name); the subscriber still
 * gets every message under its topic name. The same run with `topicAliases: false` is the
 * comparison.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SDELIVERED } from '@x/simple'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { Pool5 } from './support/mqtt5-clients.js'
import { startWireProxy } from './support/mqtt5-wire-proxy.js'
import { pump, uid } from './support/test-clients.js'
import { withDeadline } from './support/wait.js'

const MESSAGES = 1000
const figures: string[] = []

let mosquitto: Mosquitto
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(async () => {
  await mosquitto?.stop()
  if (figures.length) console.log(`topic aliases, ${MESSAGES} PUBLISHes on 3 topics:\n${figures.join('\n')}`)
})

interface Run {
  publishes: Array<{ topic: string; properties?: { topicAlias?: number } }>
  bytesUp: number
  topics: string[]
}

async function run(topicAliases: boolean): Promise<Run> {
  const pool = new Pool5()
  const wire = await startWireProxy(mosquitto.ports.plain)
  try {
    const base = uid(`aliases/${topicAliases ? 'on' : 'off'}`)
    // Long names, as real deployments have them: what an alias saves.
    const topics = ['temperature', 'humidity', 'pressure'].map((t) => `${base}/building-7/floor-3/room-12/${t}`)
    const subscriber = pool.make({ clientId: uid('alias-sub'), server: mosquitto.urls.plain })
    await subscriber.client.connect()
    const pid = await subscriber.client.subscribe(`${base}/#`, { qos: 1 })
    await pump(subscriber, () => subscriber.statusOf(pid) !== undefined, 'SUBACK')
    const publisher = pool.make({ clientId: uid('alias-pub'), server: wire.url, topicAliases })
    await publisher.client.connect()
    const sending = (async () => {
      for (let i = 0; i < MESSAGES; i++) await publisher.client.publish(topics[i % 3] as string, `${i}`, { qos: 1 })
    })()
    await pump(subscriber, () => subscriber.messages.length >= MESSAGES, `${MESSAGES} messages at the subscriber`, 30_000)
    await withDeadline(sending, 10_000, 'the publishes')
    await pump(publisher, () => publisher.statuses.length >= MESSAGES, 'every PUBACK', 10_000)
    // Every message under the name it was published to, in order per topic.
    for (const [k, topic] of topics.entries()) {
      const expected = Array.from({ length: MESSAGES }, (_, i) => i)
        .filter((i) => i % 3 === k)
        .map(String)
      expect(subscriber.texts(topic)).toEqual(expected)
    }
    expect(subscriber.messages.length).toBe(MESSAGES)
    expect(publisher.statuses.every((s) => s.status === SDELIVERED)).toBe(true)
    expect(wire.errors).toEqual([])
    return { publishes: wire.sent('publish'), bytesUp: wire.bytes.up, topics }
  } finally {
    await pool.closeAll()
    await wire.close()
  }
}

describe('MQTT 5 topic aliases against mosquitto 2.0.11 (Topic Alias Maximum 10)', () => {
  test(`${MESSAGES} messages on 3 topics: later PUBLISHes carry the alias alone, every message arrives under its name, far fewer bytes than without`, async () => {
    const on = await run(true)
    const off = await run(false)

    const aliasOnly = on.publishes.filter((p) => p.topic === '' && p.properties?.topicAlias !== undefined)
    const nameAndAlias = on.publishes.filter((p) => p.topic !== '' && p.properties?.topicAlias !== undefined)
    const nameOnly = on.publishes.filter((p) => p.topic !== '' && p.properties?.topicAlias === undefined)
    expect(on.publishes.length).toBe(MESSAGES)
    // First of each topic: the name; second: the name and a new alias; the rest: the alias alone.
    expect(nameOnly.map((p) => p.topic)).toEqual(on.topics)
    expect(nameAndAlias.map((p) => p.topic)).toEqual(on.topics)
    expect(aliasOnly.length).toBe(MESSAGES - 6)
    const aliases = new Set(nameAndAlias.map((p) => p.properties?.topicAlias))
    expect(aliases.size).toBe(3)
    for (const alias of aliases) (expect(alias).toBeGreaterThanOrEqual(1), expect(alias).toBeLessThanOrEqual(10))

    expect(off.publishes.length).toBe(MESSAGES)
    expect(off.publishes.every((p) => p.topic !== '' && p.properties?.topicAlias === undefined)).toBe(true)

    // Each alias-only PUBLISH (the 7th on) drops its name and adds a 3-byte property (0x23, two bytes).
    const aliasSavings = Array.from({ length: MESSAGES - 6 }, (_, i) => (on.topics[(i + 6) % 3]?.length ?? 0) - 3).reduce(
      (a, b) => a + b,
      0,
    )
    const saved = off.bytesUp - on.bytesUp
    figures.push(`  with aliases ${on.bytesUp} B sent, without ${off.bytesUp} B (${saved} B saved)`)
    expect(saved).toBeGreaterThanOrEqual(aliasSavings)
    expect(on.bytesUp).toBeLessThan(off.bytesUp * 0.6)
  }, 90_000)

  test('12 topics through 10 aliases (least recently used reassigned): every message arrives under its own name, no alias above 10', async () => {
    const pool = new Pool5()
    const wire = await startWireProxy(mosquitto.ports.plain)
    try {
      const base = uid('aliases/lru')
      const topics = Array.from({ length: 12 }, (_, i) => `${base}/device-${i}`)
      const subscriber = pool.make({ clientId: uid('lru-sub'), server: mosquitto.urls.plain })
      await subscriber.client.connect()
      const pid = await subscriber.client.subscribe(`${base}/#`, { qos: 1 })
      await pump(subscriber, () => subscriber.statusOf(pid) !== undefined, 'SUBACK')
      const publisher = pool.make({ clientId: uid('lru-pub'), server: wire.url })
      await publisher.client.connect()
      // A fixed, uneven order: some topics hot, some cold, so aliases are taken, reused and reassigned.
      // Every third message walks all 12 topics in turn; the others go to the 4 first.
      const order = Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? (i / 3) % 12 : i % 4))
      for (const [i, k] of order.entries()) await publisher.client.publish(topics[k] as string, `${i}`, { qos: 1 })
      await pump(subscriber, () => subscriber.messages.length >= order.length, 'every message', 20_000)
      for (const [k, topic] of topics.entries()) {
        const expected = order.flatMap((t, i) => (t === k ? [String(i)] : []))
        expect(subscriber.texts(topic)).toEqual(expected)
      }
      const aliases = wire.sent('publish').flatMap((p) => (p.properties?.topicAlias === undefined ? [] : [p.properties.topicAlias]))
      expect(Math.max(...aliases)).toBeLessThanOrEqual(10)
      expect(new Set(aliases).size).toBe(10) // all ten used
      expect(wire.sent('publish').filter((p) => p.topic === '').length).toBeGreaterThan(order.length / 2)
    } finally {
      await pool.closeAll()
      await wire.close()
    }
  }, 60_000)
})
