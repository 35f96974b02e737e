/**
 * Topic aliases (MQTT 5.0 §3.3.2.3.4) against a scripted broker over real loopback TCP. Outbound:
 * a topic published once costs no alias, the second PUBLISH carries the name and a new alias, later
 * ones the alias alone; at most the broker's Topic Alias Maximum, the least recently used reassigned;
 * none after a reconnect until learned again. Inbound: an alias the broker sets is resolved before
 * the callback; an alias that is 0, never set or above the client's maximum closes the link with
 * DISCONNECT 0x94.
 */
import { describe, expect, test } from 'vitest'
import { MqttClient, MqttError, type PublishPacketV5 } from '@x/simple'
import { answerWith, type FakeConnection } from '@x/test-support/fake-broker.js'
import { sleep } from '@x/test-support/wait.js'
import { byteDifference, hex } from '../codec/hex.js'
import { thrown } from '../support/recording-client.js'
import { scriptedV5 } from '../support/v5-scripted.js'

const v5 = scriptedV5()

async function connected(topicAliasMaximum: number | undefined, options: Record<string, unknown> = {}): Promise<FakeConnection<5>> {
  return v5.connected(topicAliasMaximum === undefined ? {} : { topicAliasMaximum }, options)
}

const the = (): MqttClient => v5.client as MqttClient

/** Publishes each topic in turn (QoS 0, payload "x") and returns what the broker received. */
async function publishAll(conn: FakeConnection<5>, topics: string[]): Promise<PublishPacketV5[]> {
  const got: PublishPacketV5[] = []
  for (const topic of topics) {
    await the().publish(topic, 'x')
    got.push(await conn.next('publish'))
  }
  return got
}

const aliasOf = (p: PublishPacketV5) => p.properties?.topicAlias

describe('outbound aliases, up to the broker’s Topic Alias Maximum', () => {
  test('first PUBLISH: name only; second: name and alias 1; third: alias alone with an empty topic (exact bytes)', async () => {
    const conn = await connected(2)
    const bytes: Uint8Array[] = []
    for (let i = 0; i < 3; i++) {
      await the().publish('a', 'x')
      bytes.push((await conn.nextBytes('publish'))[1])
    }
    const expected = [hex('30 05 00 01 61 00 78'), hex('30 08 00 01 61 03 23 00 01 78'), hex('30 07 00 00 03 23 00 01 78')]
    for (const [i, b] of bytes.entries()) expect(byteDifference(b, expected[i] as Uint8Array), `PUBLISH #${i + 1}`).toBeUndefined()
  })

  test('the alias goes after the caller’s properties (MQTT 5.0 §3.3.2.3)', async () => {
    const conn = await connected(2)
    for (let i = 0; i < 2; i++) await the().publish('a', 'x', { properties: { contentType: 't' } } as never)
    await conn.next('publish')
    const [, second] = await conn.nextBytes('publish')
    expect(byteDifference(second, hex('30 0c 00 01 61 07 03 00 01 74 23 00 01 78'))).toBeUndefined()
  })

  test('when every alias is taken the least recently used is reassigned, never one above the maximum [MQTT-3.3.2-9]', async () => {
    const conn = await connected(2)
    const got = await publishAll(conn, ['a', 'a', 'b', 'b', 'a', 'c', 'c', 'b'])
    expect(got.slice(0, 7).map((p) => [p.topic, aliasOf(p)])).toEqual([
      ['a', undefined],
      ['a', 1],
      ['b', undefined],
      ['b', 2],
      ['', 1], // a, by its alias: now more recently used than b
      ['c', undefined],
      ['c', 2], // b's alias, the least recently used, now means c
    ])
    // b lost its alias: the broker now maps 2 to c, so b must be named again.
    expect(got[7]?.topic).toBe('b')
    for (const p of got) expect(aliasOf(p) ?? 0).toBeLessThanOrEqual(2)
  })

  test('Topic Alias Maximum absent (0): no alias ever [MQTT-3.2.2-18]', async () => {
    const conn = await connected(undefined)
    const got = await publishAll(conn, ['a', 'a', 'a'])
    expect(got.map((p) => [p.topic, aliasOf(p)])).toEqual([
      ['a', undefined],
      ['a', undefined],
      ['a', undefined],
    ])
  })

  test('topicAliases: false: no alias, whatever the broker allows', async () => {
    const conn = await connected(10, { topicAliases: false })
    const got = await publishAll(conn, ['a', 'a', 'a'])
    expect(got.map((p) => [p.topic, aliasOf(p)])).toEqual([
      ['a', undefined],
      ['a', undefined],
      ['a', undefined],
    ])
  })

  test('a message resent after a reconnect carries its topic name: aliases end with the connection [MQTT-3.3.2-7]', async () => {
    v5.broker.onConnection = answerWith({ sessionPresent: true, properties: { topicAliasMaximum: 2 } })
    const client = v5.newClient()
    await client.connect({ cleanSession: false })
    const first = await v5.broker.connection()
    for (let i = 0; i < 3; i++) await client.publish('a', 'x', { qos: 1 })
    const sent = [await first.next('publish'), await first.next('publish'), await first.next('publish')]
    expect(sent.map((p) => [p.topic, aliasOf(p)])).toEqual([
      ['a', undefined],
      ['a', 1],
      ['', 1],
    ])
    // None acknowledged: on a resumed session all three are sent again, each under its name.
    await client.connect({ cleanSession: false })
    const second = await v5.broker.connection(1)
    const resent = [await second.next('publish'), await second.next('publish'), await second.next('publish')]
    expect(resent.map((p) => [p.pid, p.topic, p.dup])).toEqual([
      [1, 'a', true],
      [2, 'a', true],
      [3, 'a', true],
    ])
    // And an alias of the old connection is never used alone on the new one.
    await client.publish('a', 'x')
    expect((await second.next('publish')).topic).toBe('a')
  })
})

describe('inbound aliases, up to the client’s own topicAliasMaximum', () => {
  async function receiving(topicAliasMaximum?: number): Promise<{ conn: FakeConnection<5>; topics: string[] }> {
    const conn = await connected(0, topicAliasMaximum === undefined ? {} : { properties: { topicAliasMaximum } })
    const topics: string[] = []
    the().setCallback((topic) => topics.push(topic))
    return { conn, topics }
  }

  const publish = (topic: string, topicAlias: number): PublishPacketV5 => ({
    type: 'publish',
    topic,
    payload: new Uint8Array([1]),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias },
  })

  test('an alias the broker sets is resolved: the callback sees the topic name', async () => {
    const { conn, topics } = await receiving(5)
    conn.send(publish('x/y', 3))
    conn.send(publish('', 3))
    conn.send(publish('z', 3)) // re-mapped by the broker
    conn.send(publish('', 3))
    for (let i = 0; i < 10 && topics.length < 4; i++) await the().waitMsg(500)
    expect(topics).toEqual(['x/y', 'x/y', 'z', 'z'])
  })

  async function closedWith0x94(conn: FakeConnection<5>, bytes: number[] | PublishPacketV5): Promise<void> {
    conn.send(bytes)
    const error = await thrown(async () => {
      for (let i = 0; i < 10; i++) await the().waitMsg(300)
    })
    expect(error).toBeInstanceOf(MqttError)
    expect((error as MqttError).reasonCode).toBe(0x94)
    await conn.closed
    const disconnect = conn.log.find((p) => p.type === 'disconnect')
    expect(disconnect, 'the client closed without a DISCONNECT').toMatchObject({ reasonCode: 0x94 })
    expect(the().isConnected).toBe(false)
    expect(() => the().checkMsg()).toThrow(MqttError)
  }

  test('an alias never set (empty topic) closes the link with DISCONNECT 0x94 (MQTT 5.0 §3.3.2.3.4)', async () => {
    const { conn, topics } = await receiving(5)
    await closedWith0x94(conn, publish('', 2))
    expect(topics).toEqual([])
  })

  test('alias 0 closes the link with DISCONNECT 0x94 [MQTT-3.3.2-8]', async () => {
    const { conn } = await receiving(5)
    // Written by hand: the encoder refuses alias 0.
    await closedWith0x94(conn, [0x30, 0x07, 0x00, 0x01, 0x61, 0x03, 0x23, 0x00, 0x00])
  })

  test("an alias above the client's topicAliasMaximum closes the link with DISCONNECT 0x94 [MQTT-3.3.2-10]", async () => {
    const { conn } = await receiving(5)
    await closedWith0x94(conn, publish('a', 6))
  })

  test('any alias when the client allowed none (topicAliasMaximum absent) closes the link with DISCONNECT 0x94', async () => {
    const { conn } = await receiving()
    await closedWith0x94(conn, publish('a', 1))
  })

  // A PUBLISH over maxPacketBytes (no maximumPacketSize told) is skipped, acknowledged and
  // reported, but its Topic Alias still sets or names a topic on this connection: kept unread, it
  // would send the next alias-only message to the topic the alias named before.
  describe('a PUBLISH over maxPacketBytes, skipped: its Topic Alias still counts', () => {
    async function skipping(): Promise<{ conn: FakeConnection<5>; topics: string[]; skipped: string[] }> {
      const conn = await connected(0, { maxPacketBytes: 1024, properties: { topicAliasMaximum: 5 } })
      const topics: string[] = []
      const skipped: string[] = []
      the().setCallback((topic) => topics.push(topic))
      the().setCallbackOversize((topic) => skipped.push(topic))
      return { conn, topics, skipped }
    }
    const big = (topic: string, topicAlias: number): PublishPacketV5 => ({ ...publish(topic, topicAlias), payload: new Uint8Array(3000) })

    test('an oversize PUBLISH that maps an alias anew: the next alias-only message goes to the new topic', async () => {
      const { conn, topics, skipped } = await skipping()
      conn.send(publish('sensors/a', 1))
      conn.send(big('cmd/b', 1))
      conn.send(publish('', 1))
      for (let i = 0; i < 10 && topics.length + skipped.length < 3; i++) await the().waitMsg(300)
      expect([topics, skipped]).toEqual([['sensors/a', 'cmd/b'], ['cmd/b']])
      expect(the().isConnected).toBe(true)
    })

    test('an oversize PUBLISH with the alias alone is reported under the topic the alias names, and the link stays up', async () => {
      const { conn, topics, skipped } = await skipping()
      conn.send(publish('x/y', 2))
      conn.send(big('', 2))
      for (let i = 0; i < 10 && topics.length + skipped.length < 2; i++) await the().waitMsg(300)
      expect([topics, skipped]).toEqual([['x/y'], ['x/y']])
      expect(the().isConnected).toBe(true)
    })

    test('an oversize PUBLISH whose properties pass what is kept of it (64 KiB): skipped by its topic and packet id, reported, the link kept', async () => {
      const { conn, topics, skipped } = await skipping()
      const userProperties = { a: 'x'.repeat(60_000), b: 'y'.repeat(60_000), c: 'z'.repeat(60_000) }
      conn.send({ ...big('huge/props', 3), properties: { userProperties } })
      conn.send(publish('after', 4))
      for (let i = 0; i < 10 && topics.length + skipped.length < 2; i++) await the().waitMsg(300)
      expect([topics, skipped]).toEqual([['after'], ['huge/props']])
      expect(the().isConnected).toBe(true)
    })

    test("an oversize PUBLISH with an alias above the client's maximum closes the link with DISCONNECT 0x94, as a small one does", async () => {
      const { conn } = await skipping()
      await closedWith0x94(conn, big('q', 6))
    })
  })

  test('the client can connect again after an alias error', async () => {
    const { conn } = await receiving(5)
    await closedWith0x94(conn, publish('', 4))
    await the().connect()
    await sleep(10)
    expect(the().isConnected).toBe(true)
  })
})
