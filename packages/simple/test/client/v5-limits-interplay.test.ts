/**
 * Where two MQTT 5.0 rules meet, against a scripted broker over real loopback TCP: a refused
 * publish takes no topic alias; caller-chosen aliases and automatic ones never collide; Receive
 * Maximum holds for the messages resent after a reconnect; aliases the broker set die with the
 * connection; the client's own Receive Maximum frees its slots on PUBCOMP, so a healthy broker
 * is never cut off.
 */
import { describe, expect, test } from 'vitest'
import { MqttClient, MqttError, SDELIVERED, SLOST, type PublishPacketV5 } from '@x/simple'
import { answerWith, type FakeConnection } from '@x/test-support/fake-broker.js'
import { sleep, withDeadline } from '@x/test-support/wait.js'
import { thrown } from '../support/recording-client.js'
import { scriptedV5 } from '../support/v5-scripted.js'

const v5 = scriptedV5()

async function connected(connackProperties: Record<string, unknown>, options: Record<string, unknown> = {}): Promise<FakeConnection<5>> {
  return v5.connected(connackProperties, options)
}

const the = (): MqttClient => v5.client as MqttClient
const shape = (p: PublishPacketV5) => [p.topic, p.properties?.topicAlias]

describe('a refused publish takes no alias', () => {
  test('the second PUBLISH of a topic refused as too large: the next one still names the topic with the new alias', async () => {
    const conn = await connected({ topicAliasMaximum: 2, maximumPacketSize: 40 })
    await the().publish('a', 'x')
    expect(shape(await conn.next('publish'))).toEqual(['a', undefined])
    const error = await thrown(() => the().publish('a', new Uint8Array(100)))
    expect(error).toMatchObject({ code: 'ETOOLARGE' })
    await the().publish('a', 'x')
    // Had the refused one taken alias 1, this would be the alias alone: a topic the broker never learned.
    expect(shape(await conn.next('publish'))).toEqual(['a', 1])
  })

  test('the second PUBLISH of a topic refused for Maximum QoS: the next one still names the topic', async () => {
    const conn = await connected({ topicAliasMaximum: 2, maximumQoS: 1 })
    await the().publish('a', 'x')
    await conn.next('publish')
    expect(await thrown(() => the().publish('a', 'x', { qos: 2 }))).toMatchObject({ code: 'ENOTSUPPORTED' })
    await the().publish('a', 'x', { qos: 1 })
    const p = await conn.next('publish')
    expect(p.topic).toBe('a')
  })
})

describe('an alias never pushes a packet past Maximum Packet Size [MQTT-3.2.2-15]', () => {
  test('a PUBLISH of exactly the limit, published again: sent without a new alias rather than 3 bytes over', async () => {
    // QoS 1 to "t" with 42 bytes of payload: 50 bytes; with a new alias (23 00 01) it would be 53.
    const conn = await connected({ topicAliasMaximum: 2, maximumPacketSize: 50 })
    for (let i = 0; i < 3; i++) await the().publish('t', new Uint8Array(42), { qos: 1 })
    const sizes = []
    for (let i = 0; i < 3; i++) sizes.push((await conn.nextBytes('publish'))[1].length)
    for (const size of sizes) expect(size, `a PUBLISH of ${size} bytes against a limit of 50`).toBeLessThanOrEqual(50)
  })
})

describe('caller-chosen and automatic aliases', () => {
  test('a topic published with an explicit alias is left alone, and automatic aliases do not reuse that number', async () => {
    const conn = await connected({ topicAliasMaximum: 2 })
    await the().publish('a', 'x', { properties: { topicAlias: 1 } } as never)
    for (const topic of ['b', 'b', 'b']) await the().publish(topic, 'x')
    await the().publish('a', 'x', { properties: { topicAlias: 1 } } as never)
    const got = []
    for (let i = 0; i < 5; i++) got.push(shape(await conn.next('publish')))
    expect(got[0]).toEqual(['a', 1])
    // b must not be given alias 1: the broker maps 1 to "a".
    expect(got.slice(1, 4).map(([, alias]) => alias)).not.toContain(1)
    expect(got[4]).toEqual(['a', 1])
  })
})

describe('Receive Maximum after a reconnect [MQTT-3.3.4-7] (MQTT 5.0 §4.9: the quota starts again with each connection)', () => {
  test('messages resent on a resumed session respect the new CONNACK’s Receive Maximum', async () => {
    v5.broker.onConnection = answerWith({ sessionPresent: true })
    const c = v5.newClient()
    await c.connect({ cleanSession: false })
    for (let i = 0; i < 3; i++) await c.publish('t', `${i}`, { qos: 1 })
    v5.broker.onConnection = answerWith({ sessionPresent: true, properties: { receiveMaximum: 1 } })
    await c.connect({ cleanSession: false })
    const conn = await v5.broker.connection(1)
    expect((await conn.next('publish')).pid).toBe(1)
    await sleep(150)
    expect(
      conn.log.filter((p) => p.type === 'publish').map((p) => (p as PublishPacketV5).pid),
      'resent past Receive Maximum 1',
    ).toEqual([1])
    conn.send({ type: 'puback', pid: 1 })
    expect((await conn.next('publish')).pid).toBe(2)
    conn.send({ type: 'puback', pid: 2 })
    expect((await conn.next('publish')).pid).toBe(3)
  })
})

describe('a resumed session under a CONNACK with smaller limits', () => {
  // Sent all the same, each broke a MUST the broker closes the link for, and every reconnection
  // sent it again: a loop. Reported lost instead (SLOST), as a session's message the broker cannot take.
  test('a PUBLISH now over its Maximum Packet Size, or above its Maximum QoS, is not sent again: SLOST; the others go, and the link stays', async () => {
    v5.broker.onConnection = answerWith({ sessionPresent: true })
    const c = v5.newClient()
    const statuses: Array<[number, number]> = []
    c.setCallbackStatus((pid, status) => void statuses.push([pid, status]))
    await c.connect({ cleanSession: false })
    const large = await c.publish('t', new Uint8Array(100), { qos: 1 })
    const exactlyOnce = await c.publish('t', 'q2', { qos: 2 })
    const small = (await c.publish('t', 'ok', { qos: 1 })) as number
    v5.broker.onConnection = answerWith({ sessionPresent: true, properties: { maximumPacketSize: 60, maximumQoS: 1 } })
    await c.connect({ cleanSession: false })
    const conn = await v5.broker.connection(1)
    const resent = await conn.next('publish')
    expect([resent.pid, resent.dup]).toEqual([small, true])
    conn.send({ type: 'puback', pid: small })
    for (let i = 0; i < 10 && statuses.length < 3; i++) await c.waitMsg(200)
    expect(statuses.sort(([a], [b]) => a - b)).toEqual(
      [
        [large, SLOST],
        [exactlyOnce, SLOST],
        [small, SDELIVERED],
      ].sort(([a], [b]) => (a as number) - (b as number)),
    )
    await sleep(50)
    expect(conn.log.filter((p) => p.type === 'publish').map((p) => (p as PublishPacketV5).pid)).toEqual([small])
    expect(c.isConnected).toBe(true)
  })
})

describe('only the acknowledgement that ends an exchange frees its Receive Maximum slot [MQTT-3.3.4-7]', () => {
  test.each<[string, 1 | 2, 'puback' | 'pubcomp']>([
    ['a PUBACK for a QoS 2 message', 2, 'puback'],
    ['a PUBCOMP for a QoS 1 message', 1, 'pubcomp'],
  ])('%s does not let a waiting publish go', async (_name, qos, wrongAck) => {
    const conn = await connected({ receiveMaximum: 1 })
    const pid = (await the().publish('t', '1', { qos })) as number
    await conn.next('publish')
    const second = the().publish('t', '2', { qos })
    second.catch(() => {})
    conn.send({ type: wrongAck, pid })
    await sleep(200)
    const open = !conn.isClosed
    const publishes = conn.log.filter((p) => p.type === 'publish').length
    // Either the client keeps waiting, or it calls the broker's error and closes: never two in flight.
    if (open) expect(publishes, 'a second PUBLISH while the first is unacknowledged').toBe(1)
    else expect(publishes).toBe(1)
  })

  test('a DISCONNECT from the broker ends a publish waiting for a slot', async () => {
    const conn = await connected({ receiveMaximum: 1 })
    await the().publish('t', '1', { qos: 1 })
    const second = the().publish('t', '2', { qos: 1 })
    second.catch(() => {})
    await sleep(20)
    conn.send({ type: 'disconnect', reasonCode: 0x8b })
    const error = await withDeadline(
      thrown(() => second),
      2000,
      'the waiting publish to end',
    )
    expect(error).toBeInstanceOf(MqttError)
  })
})

describe('inbound aliases and Receive Maximum on the client’s side', () => {
  const publish = (topic: string, topicAlias?: number, qos: 0 | 2 = 0, pid?: number): PublishPacketV5 => ({
    type: 'publish',
    topic,
    payload: Uint8Array.of(1),
    qos,
    retain: false,
    dup: false,
    ...(pid === undefined ? {} : { pid }),
    properties: topicAlias === undefined ? {} : { topicAlias },
  })

  test('an alias set on the previous connection is unknown on the next: DISCONNECT 0x94 [MQTT-3.3.2-7]', async () => {
    const conn = await connected({}, { properties: { topicAliasMaximum: 5 } })
    const topics: string[] = []
    the().setCallback((topic) => topics.push(topic))
    conn.send(publish('x', 3))
    for (let i = 0; i < 10 && !topics.length; i++) await the().waitMsg(200)
    expect(topics).toEqual(['x'])
    await the().connect()
    const next = await v5.broker.connection(1)
    next.send(publish('', 3))
    const error = await thrown(async () => {
      for (let i = 0; i < 10; i++) await the().waitMsg(300)
    })
    expect(error).toBeInstanceOf(MqttError)
    expect((error as MqttError).reasonCode).toBe(0x94)
    expect(topics).toEqual(['x'])
  })

  test('PUBCOMP frees the client’s receive slot: a broker that waits for it is never cut off (receiveMaximum 1)', async () => {
    const conn = await connected({}, { properties: { receiveMaximum: 1 } })
    const got: string[] = []
    the().setCallback((topic) => got.push(topic))
    for (let pid = 1; pid <= 3; pid++) {
      conn.send(publish(`m${pid}`, undefined, 2, pid))
      for (let i = 0; i < 10 && got.length < pid; i++) await the().waitMsg(200)
      await conn.next('pubrec')
      conn.send({ type: 'pubrel', pid })
      for (let i = 0; i < 10 && !conn.log.some((p) => p.type === 'pubcomp' && p.pid === pid); i++) await the().waitMsg(100)
      await conn.next('pubcomp')
    }
    expect(got).toEqual(['m1', 'm2', 'm3'])
    expect(the().isConnected).toBe(true)
    expect(conn.log.filter((p) => p.type === 'disconnect')).toEqual([])
  })
})

describe('v5-only options on MQTT 3.1.1', () => {
  test('setLastWill(…, { properties }) on a 3.1.1 client is EOPTION naming properties', () => {
    v5.client = new MqttClient({ clientId: 'c1', server: v5.broker.url, socketTimeoutMs: 2000 })
    expect(() => the().setLastWill('w', 'x', { properties: { willDelayInterval: 5 } } as never)).toThrow(
      expect.objectContaining({ code: 'EOPTION', message: expect.stringContaining('properties') }),
    )
  })
})
