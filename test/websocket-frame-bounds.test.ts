/**
 * How big a WebSocket frame may be, both ways. Outbound: one turn's packets share a frame, but a
 * frame stays near FRAME_BYTES (a `ws` broker closes at its maxPayload, 100 MiB by default), so a
 * burst of publishes goes out as many frames. Inbound: frame boundaries mean nothing to MQTT
 * [MQTT-6.0.0-2] — an empty frame is nothing, and a PUBLISH over maxPacketBytes cut into frames of
 * normal size is skipped without being held, and one in a single frame is held by `ws` (which
 * holds a frame whole) and then skipped; only a frame no MQTT packet fills closes the link, with
 * an error that says so.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MqttClient, encode } from '@x/simple'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { FakeBroker, type FakeConnection } from './support/fake-broker.js'
import { ClientPool, pump, rejection, uid, type Recorder } from './support/test-clients.js'
import { waitFor } from './support/wait.js'

const pool = new ClientPool()
const MiB = 1024 * 1024
// What the link gathers into one frame (websocket.ts FRAME_BYTES), plus one packet.
const FRAME_CAP = 64 * 1024

let fake: FakeBroker
beforeAll(async () => {
  fake = await FakeBroker.start({ websocket: true })
})
afterAll(async () => {
  await pool.closeAll()
  await fake.close()
})

// A full collection before each sample, so garbage already dropped is not counted as held.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const held = (): number => {
  gc()
  return process.memoryUsage().arrayBuffers
}

/** The header of a QoS 0 PUBLISH of `size` payload bytes (the payload follows in other frames). */
function publishHeader(topic: string, size: number): Uint8Array {
  const whole = encode({ type: 'publish', topic, payload: new Uint8Array(0), qos: 0, retain: false, dup: false })
  // Re-encode the remaining length for the real size: fixed header byte, varint, then the topic.
  const rest = whole.subarray(2) // topic length + topic (remaining length < 128 here)
  const length: number[] = []
  let n = rest.length + size
  do {
    let digit = n % 128
    n = Math.floor(n / 128)
    if (n > 0) digit |= 0x80
    length.push(digit)
  } while (n > 0)
  return Uint8Array.from([0x30, ...length, ...rest])
}

/** Sends `frame` and waits until ws has handed it to the socket, so a flood is paced by the socket. */
const sent = (conn: FakeConnection, frame: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => conn.ws?.send(frame, { binary: true }, (error) => (error ? reject(error) : resolve())))

/**
 * A client connected to the fake broker over ws://, with the broker's side of its connection, the
 * oversize PUBLISHes it skipped, and the size of every frame the broker received from it.
 */
async function connected(
  name: string,
): Promise<{ r: Recorder; c: FakeConnection; skipped: Array<{ topic: string; bytes: number }>; frames: number[] }> {
  let conn: FakeConnection | undefined
  const frames: number[] = []
  fake.onConnection = async (c) => {
    c.ws?.on('message', (data: Buffer) => frames.push(data.length))
    await c.next('connect')
    c.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
    conn = c
  }
  const r = pool.make({ clientId: uid(name), server: fake.url })
  const skipped: Array<{ topic: string; bytes: number }> = []
  r.client.setCallbackOversize((topic, bytes) => skipped.push({ topic, bytes }))
  await r.client.connect()
  await waitFor(() => conn !== undefined, 'the connection')
  return { r, c: conn as FakeConnection, skipped, frames }
}

/** A small QoS 0 PUBLISH from the broker, the one that must still arrive after an oversize one. */
const after = (c: FakeConnection): void =>
  c.send({ type: 'publish', topic: 'small/after', payload: new TextEncoder().encode('ok'), qos: 0, retain: false, dup: false })

describe('inbound frames', () => {
  test('an empty binary frame before CONNACK (and after) is nothing: connect() resolves, the link stays', async () => {
    fake.onConnection = async (conn) => {
      await conn.next('connect')
      conn.sendFrame(new Uint8Array(0))
      conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
      conn.sendFrame(new Uint8Array(0))
      conn.send({ type: 'publish', topic: 'after/empty', payload: new TextEncoder().encode('hi'), qos: 0, retain: false, dup: false })
    }
    const r = pool.make({ clientId: uid('ws-empty'), server: fake.url })
    expect(await r.client.connect()).toBe(false)
    await pump(r, () => r.messages.length > 0, 'the message after an empty frame')
    expect(r.messages.map((m) => m.text)).toEqual(['hi'])
    expect(r.client.isConnected).toBe(true)
  })

  test('a 101 MiB PUBLISH cut into 64 KiB frames is skipped as oversize without being held, and the link stays', async () => {
    const { r, c, skipped } = await connected('ws-oversize')
    const size = 101 * MiB
    const before = held()
    let peak = before
    await sent(c, publishHeader('big/one', size))
    const chunk = new Uint8Array(64 * 1024)
    for (let at = 0; at < size; at += chunk.length) {
      await sent(c, chunk.subarray(0, Math.min(chunk.length, size - at)))
      if (at % (8 * MiB) === 0) {
        r.client.checkMsg()
        peak = Math.max(peak, held())
      }
    }
    after(c)
    await pump(r, () => r.messages.length > 0, 'the message after the oversize one', 10_000)
    expect(skipped).toEqual([{ topic: 'big/one', bytes: expect.any(Number) }])
    expect(skipped[0]?.bytes).toBeGreaterThan(size)
    expect(r.messages.map((m) => m.topic)).toEqual(['small/after'])
    expect(r.client.isConnected).toBe(true)
    // Held bytes stay far below the message: nothing gathered it whole.
    expect(peak - before).toBeLessThan(32 * MiB)
  }, 60_000)

  test('a 101 MiB PUBLISH in one frame (past the 100 MiB default of ws) is skipped as oversize, and the link stays', async () => {
    const { r, c, skipped } = await connected('ws-one-frame')
    const size = 101 * MiB
    const header = publishHeader('big/frame', size)
    const frame = new Uint8Array(header.length + size)
    frame.set(header)
    await sent(c, frame)
    after(c)
    await pump(r, () => r.messages.length > 0, 'the message after the oversize one', 20_000)
    expect(skipped).toEqual([{ topic: 'big/frame', bytes: expect.any(Number) }])
    expect(r.messages.map((m) => m.topic)).toEqual(['small/after'])
    expect(r.client.isConnected).toBe(true)
  }, 60_000)

  test('a frame no MQTT packet fills (over 256 MiB) closes the link with EOVERSIZE saying so, before it is read', async () => {
    const { r, c } = await connected('ws-huge-frame')
    // Only the frame's header, announcing 300 MiB (FIN, binary; 64-bit length): ws refuses on the header.
    const socket = c.ws as unknown as { _socket: { write(bytes: Uint8Array): void } }
    const header = new Uint8Array(10)
    header[0] = 0x82
    header[1] = 127
    new DataView(header.buffer).setBigUint64(2, BigInt(300 * MiB))
    socket._socket.write(header)
    const error = await rejection(r.client.waitMsg(10_000))
    expect(error).toMatchObject({ name: 'MqttError', code: 'EOVERSIZE' })
    expect(error.message).toMatch(/WebSocket frame larger than any MQTT packet/)
  })
})

describe('outbound frames', () => {
  const PUBLISHES = 27_000
  const payload = new Uint8Array(4000).fill(7)

  test(`${PUBLISHES} concurrent publishes go out in frames of at most 64 KiB plus one packet, every one whole`, async () => {
    const { r, c: conn, frames } = await connected('ws-burst')
    const calls = Array.from({ length: PUBLISHES }, (_, i) => r.client.publish(`burst/${i % 10}`, payload))
    await Promise.all(calls)
    await waitFor(() => conn.received.filter((p) => p.type === 'publish').length === PUBLISHES || conn.isClosed, 'every publish', 30_000)
    expect(conn.isClosed).toBe(false)
    expect(conn.received.filter((p) => p.type === 'publish')).toHaveLength(PUBLISHES)
    expect(Math.max(...frames)).toBeLessThanOrEqual(FRAME_CAP + payload.length + 20)
  }, 60_000)

  test('one packet larger than a frame goes out in several frames of at most 64 KiB, and arrives whole', async () => {
    const { r, c: conn, frames } = await connected('ws-big')
    frames.length = 0
    const big = new Uint8Array(300 * 1024).fill(3)
    await r.client.publish('big/one', big, { qos: 1 })
    await waitFor(() => conn.received.some((p) => p.type === 'publish') || conn.isClosed, 'the publish', 10_000)
    const got = conn.received.find((p) => p.type === 'publish')
    expect(got && got.type === 'publish' && got.payload.length).toBe(big.length)
    expect(Math.max(...frames)).toBeLessThanOrEqual(FRAME_CAP)
    expect(frames.length).toBeGreaterThanOrEqual(5)
  })

  describe('to aedes over ws://', () => {
    let broker: EmbeddedBroker
    beforeAll(async () => {
      broker = await startEmbeddedBroker({ websocket: true })
    })
    afterAll(() => broker.close())

    test(`${PUBLISHES} concurrent publishes all arrive`, async () => {
      const topic = uid('ws-burst-aedes')
      const subscriber = new MqttClient({ clientId: uid('sub'), server: broker.url })
      let arrived = 0
      subscriber.setCallback(() => arrived++)
      try {
        await subscriber.connect()
        await subscriber.subscribe(topic)
        await subscriber.waitMsg(2000)
        const r = pool.make({ clientId: uid('ws-pub'), server: broker.wsUrl as string })
        await r.client.connect()
        // The subscriber reads while the publishes go out: a subscriber that reads nothing would hold
        // aedes back, aedes the publisher, and the publisher's socket would (rightly) stall.
        const deadline = Date.now() + 30_000
        const reading = (async () => {
          while (arrived < PUBLISHES && Date.now() < deadline && r.client.isConnected) await subscriber.waitMsg(200)
        })()
        await Promise.all(Array.from({ length: PUBLISHES }, () => r.client.publish(topic, payload)))
        await reading
        expect(arrived).toBe(PUBLISHES)
        expect(r.client.isConnected).toBe(true)
      } finally {
        await subscriber.disconnect()
      }
    }, 60_000)
  })
})
