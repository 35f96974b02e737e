/**
 * What the broker's CONNACK allows, the client obeys (MQTT 5.0 §3.2.2.3), against a scripted
 * broker over real loopback TCP: Receive Maximum (a publish past it waits, and the client frees
 * slots by itself), Maximum Packet Size, Maximum QoS, Retain / Wildcard / Subscription
 * Identifier / Shared Subscription Available, Server Keep Alive and the Assigned Client
 * Identifier. A request refused for a limit sends no byte, takes no packet id and keeps the link.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, SDELIVERED, type ClientOptions, type ConnackProperties } from '@x/simple'
import { answerWith, FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { inspect, now, sleep, waitFor } from '@x/test-support/wait.js'
import { encodeAckV5, encodeConnackV5, fromClientV5, PacketDecoderV5 } from '@x/simple/codec'
import { hex } from '../codec/hex.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker<5>
let client: MqttClient | undefined
let statuses: Array<[pid: number, status: number, code: number | undefined]>

beforeEach(async () => {
  broker = await FakeBroker.start({ protocolVersion: 5 })
  client = undefined
  statuses = []
})

afterEach(async () => {
  await client?.disconnect()
  await broker.close()
})

/** A v5 client connected to a broker whose CONNACK carries these properties. */
async function connectedWith(properties: ConnackProperties, options: Record<string, unknown> = {}): Promise<FakeConnection<5>> {
  broker.onConnection = answerWith({ properties })
  const c = (client = new MqttClient({
    clientId: 'c1',
    server: broker.url,
    protocolVersion: 5,
    socketTimeoutMs: 2000,
    ...options,
  } as ClientOptions))
  c.setCallbackStatus((pid, status, code) => statuses.push([pid, status, code]))
  await c.connect()
  return broker.connection()
}

const the = (): MqttClient => client as MqttClient

/** Runs a request the broker's limits forbid: it must throw `code` without a byte on the wire, the link up. */
async function refusedBeforeSending(conn: FakeConnection<5>, request: () => Promise<unknown>, code: string): Promise<MqttError> {
  const before = conn.byteCount
  const error = await thrown(request)
  expect(error).toBeInstanceOf(MqttError)
  expect((error as MqttError).code, (error as MqttError).message).toBe(code)
  await sleep(50)
  expect(conn.byteCount, 'bytes sent for a refused request').toBe(before)
  expect(the().isConnected).toBe(true)
  expect(conn.isClosed).toBe(false)
  return error as MqttError
}

/** Waits (bounded) until the promise settles; fails the test if it is still pending. */
async function settledWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<void> {
  const outcome = inspect(promise)
  await waitFor(() => outcome().state !== 'pending', what, ms)
}

describe('Receive Maximum: never more unacknowledged QoS 1 and 2 PUBLISHes than the broker allows [MQTT-3.3.4-7]', () => {
  test('a QoS 1 publish past it waits; a PUBACK frees the slot without checkMsg(); its status comes with the next checkMsg()', async () => {
    const conn = await connectedWith({ receiveMaximum: 2 })
    expect(await the().publish('t', '1', { qos: 1 })).toBe(1)
    expect(await the().publish('t', '2', { qos: 1 })).toBe(2)
    const third = the().publish('t', '3', { qos: 1 })
    const outcome = inspect(third)
    await conn.next('publish')
    await conn.next('publish')
    await sleep(150)
    expect(outcome().state, 'the third publish went ahead of the limit').toBe('pending')
    expect(conn.log.filter((p) => p.type === 'publish')).toHaveLength(2)

    conn.send({ type: 'puback', pid: 1 })
    await settledWithin(third, 2000, 'the waiting publish to go out after the PUBACK')
    expect(await third).toBe(3)
    expect(await conn.next('publish')).toMatchObject({ pid: 3, qos: 1 })
    expect(statuses, 'a status reported outside checkMsg()').toEqual([])
    the().checkMsg()
    expect(statuses).toEqual([[1, SDELIVERED, 0]])
  })

  test('QoS 2: the client answers PUBREC with PUBREL by itself; PUBCOMP frees the slot', async () => {
    const conn = await connectedWith({ receiveMaximum: 1 })
    expect(await the().publish('t', '1', { qos: 2 })).toBe(1)
    const second = the().publish('t', '2', { qos: 2 })
    const outcome = inspect(second)
    await conn.next('publish')

    conn.send({ type: 'pubrec', pid: 1 })
    const [, pubrel] = await conn.nextBytes('pubrel')
    // Reason code 0 without properties is left out: PUBREL is 4 bytes (MQTT 5.0 §3.6.2.1).
    expect(pubrel).toEqual(hex('62 02 00 01'))
    await sleep(100)
    expect(outcome().state, 'a PUBREC freed the slot: PUBCOMP ends a QoS 2 exchange').toBe('pending')

    conn.send({ type: 'pubcomp', pid: 1 })
    await settledWithin(second, 2000, 'the waiting publish to go out after the PUBCOMP')
    expect(await second).toBe(2)
    expect(await conn.next('publish')).toMatchObject({ pid: 2, qos: 2 })
    expect(statuses).toEqual([])
    the().checkMsg()
    expect(statuses).toEqual([[1, SDELIVERED, 0]])
  })

  test('QoS 0 publishes do not count and are not held back', async () => {
    const conn = await connectedWith({ receiveMaximum: 1 })
    await the().publish('t', '1', { qos: 1 })
    const qos0 = the().publish('t', '0')
    await settledWithin(qos0, 1000, 'a QoS 0 publish while the one slot is taken')
    expect(await conn.next('publish')).toMatchObject({ qos: 1 })
    expect(await conn.next('publish')).toMatchObject({ qos: 0 })
  })

  test('the wait ends with the link: a lost connection rejects the waiting publish', async () => {
    const conn = await connectedWith({ receiveMaximum: 1 })
    await the().publish('t', '1', { qos: 1 })
    const second = the().publish('t', '2', { qos: 1 })
    second.catch(() => {})
    await sleep(50)
    conn.destroy()
    await settledWithin(second, 3000, 'the waiting publish to end with the link')
    expect(await thrown(() => second)).toBeInstanceOf(MqttError)
  })

  test('the wait ends with disconnect(): the waiting publish rejects, nothing is left running', async () => {
    await connectedWith({ receiveMaximum: 1 })
    await the().publish('t', '1', { qos: 1 })
    const second = the().publish('t', '2', { qos: 1 })
    second.catch(() => {})
    await sleep(50)
    await the().disconnect()
    await settledWithin(second, 2000, 'the waiting publish to end with disconnect()')
    expect(await thrown(() => second)).toBeInstanceOf(MqttError)
  })

  test('a transport that answers within write() (an in-process broker): each PUBACK frees its slot, the third publish of a Receive Maximum of 2 goes', async () => {
    // The PUBACK arrives before write() returns, so before publish() has its packet id back.
    const transport: ClientOptions['transport'] = async (_target, handlers) => {
      const decoder = new PacketDecoderV5(fromClientV5)
      return {
        write(bytes) {
          for (const p of decoder.push(bytes)) {
            if (p.type === 'connect')
              queueMicrotask(() =>
                handlers.onData(
                  encodeConnackV5({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 2 } }),
                ),
              )
            if (p.type === 'publish' && p.pid !== undefined) handlers.onData(encodeAckV5({ type: 'puback', pid: p.pid }))
          }
          return true
        },
        drain: async () => {},
        buffered: 0,
        pause() {},
        resume() {},
        end: async () => {},
        destroy() {},
      }
    }
    client = new MqttClient({ clientId: 'in-process', server: 'mqtt://in-process', protocolVersion: 5, transport })
    await the().connect()
    for (let i = 1; i <= 3; i++) await settledWithin(the().publish('t', String(i), { qos: 1 }), 2000, `publish #${i}`)
  })
})

describe("Maximum Packet Size: nothing larger than the broker's limit is sent [MQTT-3.2.2-15]", () => {
  // A QoS 1 PUBLISH to "t": 2 bytes of fixed header, 3 of topic, 2 of packet id, 1 of property length, then the payload.
  test('a PUBLISH of 51 bytes against a limit of 50 is ETOOLARGE naming 50; nothing sent, no pid taken, link kept', async () => {
    const conn = await connectedWith({ maximumPacketSize: 50 })
    const error = await refusedBeforeSending(conn, () => the().publish('t', new Uint8Array(43), { qos: 1 }), 'ETOOLARGE')
    expect(error.message).toContain('50')
    expect(error.message).toContain('51')
    expect(await the().publish('t', new Uint8Array(42), { qos: 1 })).toBe(1)
    const [packet, bytes] = await conn.nextBytes('publish')
    expect(packet.pid).toBe(1)
    expect(bytes).toHaveLength(50)
  })

  test('a SUBSCRIBE over the limit is refused too', async () => {
    const conn = await connectedWith({ maximumPacketSize: 20 })
    await refusedBeforeSending(conn, () => the().subscribe('a/very/long/topic/filter/x'), 'ETOOLARGE')
    expect(await the().subscribe('a')).toBe(1)
  })
})

describe('Maximum QoS (MQTT 5.0 §3.2.2.3.4)', () => {
  test('publish at QoS 2 when the broker allows 1 is ENOTSUPPORTED before sending [MQTT-3.2.2-11]', async () => {
    const conn = await connectedWith({ maximumQoS: 1 })
    const error = await refusedBeforeSending(conn, () => the().publish('t', 'x', { qos: 2 }), 'ENOTSUPPORTED')
    expect(error.message).toMatch(/QoS/)
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
  })

  test('publish at QoS 1 when the broker allows 0 is ENOTSUPPORTED [MQTT-3.2.2-11]', async () => {
    const conn = await connectedWith({ maximumQoS: 0 })
    await refusedBeforeSending(conn, () => the().publish('t', 'x', { qos: 1 }), 'ENOTSUPPORTED')
    await the().publish('t', 'x')
    expect(await conn.next('publish')).toMatchObject({ qos: 0 })
  })

  test('a SUBSCRIBE at QoS 2 still goes out: the broker must accept it and grants less [MQTT-3.2.2-10]', async () => {
    const conn = await connectedWith({ maximumQoS: 1 })
    expect(await the().subscribe('a', { qos: 2 })).toBe(1)
    expect((await conn.next('subscribe')).subscriptions[0]).toMatchObject({ filter: 'a', qos: 2 })
  })
})

describe('what the broker does not offer is refused before sending, never silently downgraded', () => {
  test('retain when Retain Available is 0: ENOTSUPPORTED [MQTT-3.2.2-14]', async () => {
    const conn = await connectedWith({ retainAvailable: false })
    await refusedBeforeSending(conn, () => the().publish('t', 'x', { qos: 1, retain: true }), 'ENOTSUPPORTED')
    expect(await the().publish('t', 'x', { qos: 1 })).toBe(1)
    expect(await conn.next('publish')).toMatchObject({ pid: 1, retain: false })
  })

  test('a wildcard filter when Wildcard Subscription Available is 0: ENOTSUPPORTED (MQTT 5.0 §3.2.2.3.11)', async () => {
    const conn = await connectedWith({ wildcardSubscriptionAvailable: false })
    await refusedBeforeSending(conn, () => the().subscribe('a/+'), 'ENOTSUPPORTED')
    await refusedBeforeSending(conn, () => the().subscribe('a/#'), 'ENOTSUPPORTED')
    expect(await the().subscribe('a/b')).toBe(1)
  })

  test('a Subscription Identifier when Subscription Identifiers Available is 0: ENOTSUPPORTED (MQTT 5.0 §3.2.2.3.12)', async () => {
    const conn = await connectedWith({ subscriptionIdentifiersAvailable: false })
    await refusedBeforeSending(conn, () => the().subscribe('a', { properties: { subscriptionIdentifier: 5 } } as never), 'ENOTSUPPORTED')
    expect(await the().subscribe('a')).toBe(1)
  })

  test('a shared subscription when Shared Subscription Available is 0: ENOTSUPPORTED (MQTT 5.0 §3.2.2.3.13)', async () => {
    const conn = await connectedWith({ sharedSubscriptionAvailable: false })
    await refusedBeforeSending(conn, () => the().subscribe('$share/g/a'), 'ENOTSUPPORTED')
    expect(await the().subscribe('a')).toBe(1)
  })

  test.each<[string, ConnackProperties, () => Promise<unknown>]>([
    ['§3.2.2.3.11', { wildcardSubscriptionAvailable: false }, () => the().subscribe('a/#')],
    [
      '§3.2.2.3.12',
      { subscriptionIdentifiersAvailable: false },
      () => the().subscribe('a', { properties: { subscriptionIdentifier: 5 } } as never),
    ],
    ['§3.2.2.3.13', { sharedSubscriptionAvailable: false }, () => the().subscribe('$share/g/a')],
  ])('the refusal cites the section of its CONNACK property (MQTT 5.0 %s)', async (section, properties, request) => {
    const conn = await connectedWith(properties)
    const error = await refusedBeforeSending(conn, request, 'ENOTSUPPORTED')
    expect(error.message).toContain(section)
  })

  test('with every feature offered (the properties absent), the same requests go out', async () => {
    const conn = await connectedWith({})
    await the().publish('t', 'x', { qos: 2, retain: true })
    await the().subscribe('$share/g/a/+', { properties: { subscriptionIdentifier: 5 } } as never)
    expect(await conn.next('publish')).toMatchObject({ qos: 2, retain: true })
    expect(await conn.next('subscribe')).toMatchObject({ properties: { subscriptionIdentifier: 5 } })
  })
})

describe('Server Keep Alive replaces keepaliveSec [MQTT-3.2.2-21]', () => {
  test("keepaliveSec 60, Server Keep Alive 1: the client pings at the server's cadence", async () => {
    const conn = await connectedWith({ serverKeepAlive: 1 }, { keepaliveSec: 60 })
    const start = now()
    await conn.next('pingreq', 2500)
    conn.send([0xd0, 0])
    expect(now() - start).toBeGreaterThan(500)
    await conn.next('pingreq', 2500)
    conn.send([0xd0, 0])
  })

  test('keepaliveSec 1, Server Keep Alive 3: no PINGREQ at the client’s own cadence', async () => {
    const conn = await connectedWith({ serverKeepAlive: 3 }, { keepaliveSec: 1 })
    await sleep(1800)
    expect(conn.log.filter((p) => p.type === 'pingreq')).toEqual([])
    await conn.next('pingreq', 3000)
    conn.send([0xd0, 0])
  })

  test('keepaliveSec 1, Server Keep Alive 0: keepalive off, no PINGREQ', async () => {
    const conn = await connectedWith({ serverKeepAlive: 0 }, { keepaliveSec: 1 })
    await sleep(2200)
    expect(conn.log.filter((p) => p.type === 'pingreq')).toEqual([])
    expect(the().isConnected).toBe(true)
  })
})

describe('Assigned Client Identifier (MQTT 5.0 §3.2.2.3.7)', () => {
  test("connected with '', client.clientId becomes the broker's identifier", async () => {
    await connectedWith({ assignedClientIdentifier: 'auto-7' }, { clientId: '' })
    expect(the().clientId).toBe('auto-7')
  })
})
