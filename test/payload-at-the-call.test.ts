/**
 * The rule for payloads: what goes on the wire is the bytes as they were at the call to
 * `publish()`. A buffer reused, changed or transferred (detached) afterwards changes nothing the
 * client accepted: not the first send, not a DUP resend of a resumed session, not a message
 * waiting in @x/robust's offline queue. A buffer already detached at the call is EPAYLOAD.
 * Exact bytes against a scripted broker on loopback; delivery through the mosquitto daemon.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { MqttClient, encode, type ClientPacket } from '@x/simple'
import { RobustClient } from '@x/robust'
import { FakeBroker, type FakeConnection } from './support/fake-broker.js'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { waitFor, withDeadline } from './support/wait.js'

type Publish = Extract<ClientPacket, { type: 'publish' }>

/** Detaches a buffer, as postMessage(…, [buf]) does. */
const transfer = (buffer: ArrayBufferLike): void => void structuredClone(buffer, { transfer: [buffer as ArrayBuffer] })

/** The packet's bytes as a broker reads them (the codec is byte-exact both ways). */
const wire = (p: Publish): number[] => [...encode(p)]

describe('@x/simple, against a scripted broker', () => {
  let broker: FakeBroker
  const clients: MqttClient[] = []
  beforeAll(async () => {
    broker = await FakeBroker.start()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => withDeadline(c.disconnect(), 5000, 'disconnect()')))
  })
  afterAll(async () => {
    await broker.close()
  })

  /** The broker answers each CONNECT with this session flag. */
  function answer(sessionPresent: boolean): void {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send({ type: 'connack', sessionPresent, returnCode: 0 })
    }
  }

  /** A new client with a persistent session, connected (no session yet on the broker). */
  async function persistent(name: string): Promise<{ client: MqttClient; conn: FakeConnection }> {
    answer(false)
    const client = new MqttClient({ clientId: uid(name), server: broker.url, messageTimeoutMs: 0 })
    clients.push(client)
    const count = broker.connections.length
    expect(await client.connect({ cleanSession: false })).toBe(false)
    return { client, conn: await broker.connection(count) }
  }

  /** Cuts the link, lets the client report it, and resumes the session. */
  async function resume(client: MqttClient, conn: FakeConnection): Promise<FakeConnection> {
    conn.destroy()
    await waitFor(() => !client.isConnected, 'the client to notice the cut')
    expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONCLOSE' }))
    answer(true)
    const count = broker.connections.length
    expect(await client.connect({ cleanSession: false })).toBe(true)
    return broker.connection(count)
  }

  test('a buffer reused after publish() resolved: the DUP resend of a resumed session is byte for byte the first send, DUP set', async () => {
    const { client, conn } = await persistent('reuse')
    const buffer = Uint8Array.of(0, 1, 2, 3, 4)
    const pid = await client.publish('reuse/t', buffer, { qos: 1 })
    const sent = await conn.next('publish')
    buffer.fill(9) // the program reuses its buffer for the next reading
    const again = await (await resume(client, conn)).next('publish')
    expect(again).toMatchObject({ pid, dup: true, qos: 1 })
    expect([...again.payload]).toEqual([0, 1, 2, 3, 4])
    expect(wire(again)).toEqual(wire({ ...sent, dup: true }))
  })

  test('a QoS 1 whose buffer was transferred after publish() resolved: the session resumes, and the resend carries the bytes of the call', async () => {
    const { client, conn } = await persistent('transfer')
    const buffer = new ArrayBuffer(3)
    new Uint8Array(buffer).set([7, 8, 9])
    const pid = await client.publish('transfer/t', new DataView(buffer), { qos: 1 })
    await conn.next('publish')
    transfer(buffer)
    // Was: connect() rejected EUNKNOWN (a TypeError re-encoding the detached buffer), every time.
    const again = await (await resume(client, conn)).next('publish')
    expect(again).toMatchObject({ pid, dup: true })
    expect([...again.payload]).toEqual([7, 8, 9])
  })

  test('a buffer detached before the call is EPAYLOAD naming the problem, for an ArrayBuffer, a DataView and a Uint8Array', async () => {
    answer(false)
    const client = new MqttClient({ clientId: uid('detached'), server: broker.url })
    clients.push(client)
    await client.connect()
    const views = [(b: ArrayBuffer) => b, (b: ArrayBuffer) => new DataView(b), (b: ArrayBuffer) => new Uint8Array(b)]
    for (const view of views) {
      const buffer = new ArrayBuffer(4)
      const payload = view(buffer)
      transfer(buffer)
      await expect(client.publish('detached/t', payload, { qos: 1 })).rejects.toMatchObject({
        code: 'EPAYLOAD',
        message: expect.stringContaining('detached'),
      })
    }
    // An empty payload is not a detached one.
    await expect(client.publish('detached/t', new ArrayBuffer(0))).resolves.toBeUndefined()
    expect(client.isConnected).toBe(true)
  })
})

describe('@x/robust offline, through the mosquitto daemon', () => {
  let mosquitto: Mosquitto
  const clients: RobustClient[] = []
  beforeAll(async () => {
    mosquitto = await startMosquitto()
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => withDeadline(c.close(), 5000, 'close()')))
  })
  afterAll(async () => {
    await mosquitto?.stop()
  })

  /** A subscriber on `topic` and a publisher whose first connection is still to come. */
  async function pair(topic: string): Promise<{ publisher: RobustClient; got: number[][] }> {
    const subscriber = new RobustClient({ clientId: uid('sub'), server: mosquitto.urls.plain })
    clients.push(subscriber)
    const got: number[][] = []
    subscriber.on('message', (_t, payload) => got.push([...payload]))
    await subscriber.connect()
    await subscriber.subscribe(topic, { qos: 1 })
    const publisher = new RobustClient({ clientId: uid('pub'), server: mosquitto.urls.plain })
    clients.push(publisher)
    return { publisher, got }
  }

  test.each([
    ['a Uint8Array', () => new Uint8Array(1)],
    ['a Node Buffer (whose slice() is a view)', () => Buffer.alloc(1)],
  ])(
    'one buffer reused across publishes while offline, %s: the subscriber receives each message as it was at its call',
    async (_kind, make) => {
      const topic = uid('reuse')
      const { publisher, got } = await pair(topic)
      const buffer = make()
      const sent: Array<Promise<void>> = []
      for (let i = 0; i < 5; i++) {
        buffer[0] = i
        sent.push(publisher.publish(topic, buffer, { qos: 1 }))
      }
      expect(publisher.queued).toBe(5)
      await publisher.connect()
      await withDeadline(Promise.all(sent), 5000, 'the queued publishes')
      await waitFor(() => got.length === 5, 'five messages')
      expect(got).toEqual([[0], [1], [2], [3], [4]]) // was [4] five times
    },
  )

  test.each([0, 1, 2] as const)(
    'online, QoS %i: one buffer reused right after each call, the first passing straight to the socket, the rest waiting',
    async (qos) => {
      const topic = uid('reuse-online')
      const { publisher, got } = await pair(topic)
      await publisher.connect()
      const buffer = new Uint8Array(1)
      const sent: Array<Promise<void>> = []
      for (let i = 0; i < 5; i++) {
        buffer[0] = i
        sent.push(publisher.publish(topic, buffer, { qos }))
      }
      buffer[0] = 99
      await withDeadline(Promise.all(sent), 5000, 'the publishes')
      await waitFor(() => got.length === 5, 'five messages')
      expect(got).toEqual([[0], [1], [2], [3], [4]])
    },
  )

  test('a buffer transferred after publish() while offline: that message and the one behind it are delivered', async () => {
    const topic = uid('transfer')
    const { publisher, got } = await pair(topic)
    const buffer = Uint8Array.of(5, 6).buffer
    const view = new DataView(buffer)
    const sent = [publisher.publish(topic, view, { qos: 1 }), publisher.publish(topic, 'after', { qos: 1 })]
    transfer(buffer)
    await publisher.connect()
    await withDeadline(Promise.all(sent), 5000, 'both publishes') // was: both pending for good
    await waitFor(() => got.length === 2, 'two messages')
    expect(got).toEqual([[5, 6], [...new TextEncoder().encode('after')]])
  })

  test('a detached buffer at the call is EPAYLOAD at once', async () => {
    const publisher = new RobustClient({ clientId: uid('pub'), server: mosquitto.urls.plain })
    clients.push(publisher)
    const buffer = new ArrayBuffer(2)
    const view = new DataView(buffer)
    transfer(buffer)
    await expect(publisher.publish('t', view)).rejects.toMatchObject({ code: 'EPAYLOAD' })
    expect(publisher.queued).toBe(0)
  })
})
