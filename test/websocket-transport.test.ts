/**
 * What only MQTT over WebSocket has, on real sockets (`ws` on both sides): binary frames only
 * [MQTT-6.0.0-1], packets split across frames and several in one [MQTT-6.0.0-2], the HTTP upgrade
 * failing in the ways users meet (wrong path, wrong port, nobody there, no answer), flow control
 * both ways, and wss:// with certificates made for the run. Every scenario of the broker suites
 * runs over ws:// as well (BROKERS has `aedes-ws`); hostile bytes over WebSocket are in
 * packages/simple/test/client/hostile-bytes.test.ts.
 */
import net from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { SDELIVERED, encode, isRetryable } from '@x/simple'
import { makeCerts } from '../examples/lib/certs.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { FakeBroker } from './support/fake-broker.js'
import { ClientPool, pump, rejection, uid } from './support/test-clients.js'
import { waitFor } from './support/wait.js'

const pool = new ClientPool()
afterEach(() => pool.closeAll())

const publish = (topic: string, payload: Uint8Array) => encode({ type: 'publish', topic, payload, qos: 0, retain: false, dup: false })

describe('frames', () => {
  let broker: FakeBroker
  beforeAll(async () => {
    broker = await FakeBroker.start({ websocket: true })
  })
  afterAll(() => broker.close())

  test('a text frame is EMALFORMED [MQTT-6.0.0-1]: the link is closed, and the client connects again', async () => {
    const r = pool.make({ clientId: uid('ws-text'), server: broker.url })
    await r.client.connect()
    const conn = await broker.connection()
    conn.sendFrame('{"hello":"mqtt"}')
    const error = await rejection(r.client.waitMsg(3000))
    expect(error).toMatchObject({ code: 'EMALFORMED', message: expect.stringContaining('text frame') })
    expect(error.message).toContain('[MQTT-6.0.0-1]')
    await conn.closed
    await r.client.connect()
    expect(r.client.isConnected).toBe(true)
  })

  test('packets cut into one-byte frames, and three packets in one frame, arrive whole and in order', async () => {
    const r = pool.make({ clientId: uid('ws-split'), server: broker.url })
    await r.client.connect()
    const conn = await broker.connection()
    for (const byte of publish('split/one', new TextEncoder().encode('byte by byte'))) conn.sendFrame(Uint8Array.of(byte))
    conn.sendFrame(
      Uint8Array.from([
        ...publish('batch/a', Uint8Array.of(1)),
        ...publish('batch/b', Uint8Array.of(2)),
        ...publish('batch/c', Uint8Array.of(3)),
      ]),
    )
    await pump(r, () => r.messages.length >= 4, 'four messages')
    expect(r.messages.map((m) => m.topic)).toEqual(['split/one', 'batch/a', 'batch/b', 'batch/c'])
    expect(r.messages[0]?.text).toBe('byte by byte')
  })

  test('what the client writes in one turn goes out as one frame', async () => {
    const r = pool.make({ clientId: uid('ws-batch'), server: broker.url })
    await r.client.connect()
    const conn = await broker.connection()
    const frames: number[] = []
    conn.ws?.on('message', (data: Buffer) => frames.push(data.length))
    const sent = [r.client.publish('t/1', 'a'), r.client.publish('t/2', 'b'), r.client.publish('t/3', 'c')]
    await Promise.all(sent)
    await waitFor(() => conn.received.filter((p) => p.type === 'publish').length === 3, 'three publishes')
    // Three PUBLISH of 8 bytes each, in one binary frame.
    expect(frames).toEqual([24])
  })

  test('a WebSocket that opens but never answers CONNECT is ECONTIMEOUT (30), retryable', async () => {
    broker.onConnection = () => {}
    try {
      const r = pool.make({ clientId: uid('ws-silent'), server: broker.url, socketTimeoutMs: 300 })
      const started = Date.now()
      const error = await rejection(r.client.connect())
      expect(error).toMatchObject({ code: 'ECONTIMEOUT', errno: 30 })
      expect(Date.now() - started).toBeGreaterThanOrEqual(290)
      expect(isRetryable(error)).toBe(true)
    } finally {
      broker.onConnection = async (conn) => {
        await conn.next('connect')
        conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
      }
    }
  })
})

describe('the HTTP upgrade failing', () => {
  let broker: EmbeddedBroker
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ websocket: true })
  })
  afterAll(() => broker.close())

  test('a path the server does not serve: ENOCON saying to check the path', async () => {
    const r = pool.make({ clientId: uid('ws-path'), server: `ws://127.0.0.1:${broker.wsPort}/nothing-here` })
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ code: 'ENOCON', operation: 'connect' })
    expect(error.message).toBe(
      `Cannot connect to ws://127.0.0.1:${broker.wsPort}/nothing-here: no WebSocket at this path: check it (MQTT.js and mosquitto use /mqtt) (Unexpected server response: 404)`,
    )
  })

  test('ws:// to the plain MQTT port: EWRONGPORT once a probe proved it, saying which URL to use (more in wrong-port.test.ts)', async () => {
    const r = pool.make({ clientId: uid('ws-port'), server: `ws://127.0.0.1:${broker.port}` })
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ code: 'EWRONGPORT', message: expect.stringContaining(`connect with mqtt://127.0.0.1:${broker.port}`) })
    expect(error.message).toMatch(new RegExp(`^Cannot connect to ws://127\\.0\\.0\\.1:${broker.port}/mqtt: `))
    expect(isRetryable(error)).toBe(false)
  })

  test('nobody listening: ECONNREFUSED, retryable', async () => {
    const free = net.createServer()
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve))
    const port = (free.address() as net.AddressInfo).port
    await new Promise((resolve) => free.close(resolve))
    const error = await rejection(pool.make({ clientId: uid('ws-refused'), server: `ws://127.0.0.1:${port}/mqtt` }).client.connect())
    expect(error).toMatchObject({ code: 'ECONNREFUSED', errno: 71 })
    expect(isRetryable(error)).toBe(true)
  })

  test('the default path is /mqtt, and the default port of ws:// is 80', async () => {
    // A URL without a path reaches the broker's /mqtt.
    const r = pool.make({ clientId: uid('ws-default-path'), server: `ws://127.0.0.1:${broker.wsPort}` })
    expect(await r.client.connect()).toBe(false)
    // Port 80 is not served here: refused, at port 80.
    const error = await rejection(pool.make({ clientId: uid('ws-80'), server: 'ws://127.0.0.1', socketTimeoutMs: 1000 }).client.connect())
    expect(error.message).toMatch(/^Cannot connect to ws:\/\/127\.0\.0\.1:80\/mqtt: /)
  })
})

describe('an upgrade that is never answered', () => {
  let silent: net.Server
  let port: number
  const sockets = new Set<net.Socket>()
  beforeAll(async () => {
    silent = net.createServer((socket) => {
      sockets.add(socket)
      socket.resume() // reads (and drops) the upgrade request, so the client's close is seen
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    port = (silent.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })

  test('ends at socketTimeoutMs with ESOCKETTIMEOUT, and the socket is closed', async () => {
    const r = pool.make({ clientId: uid('ws-unanswered'), server: `ws://127.0.0.1:${port}/mqtt`, socketTimeoutMs: 300 })
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ code: 'ESOCKETTIMEOUT', message: expect.stringContaining('within 300 ms (socketTimeoutMs)') })
    await waitFor(() => sockets.size === 0, 'the client to close its socket')
  })

  test('an abort signal or disconnect() ends it at once', async () => {
    const r = pool.make({ clientId: uid('ws-abort'), server: `ws://127.0.0.1:${port}/mqtt`, socketTimeoutMs: 10_000 })
    const controller = new AbortController()
    const connecting = r.client.connect({ signal: controller.signal })
    await waitFor(() => sockets.size === 1, 'the connection')
    const started = Date.now()
    controller.abort(new Error('the user gave up'))
    await expect(connecting).rejects.toMatchObject({ code: 'ECLOSED' })
    expect(Date.now() - started).toBeLessThan(100)
    const again = r.client.connect()
    await waitFor(() => sockets.size >= 1, 'the second connection')
    await r.client.disconnect()
    await expect(again).rejects.toMatchObject({ code: 'ECLOSED' })
    await waitFor(() => sockets.size === 0, 'the client to close its sockets')
  })
})

describe('flow control', () => {
  let broker: FakeBroker
  beforeAll(async () => {
    broker = await FakeBroker.start({ websocket: true })
  })
  afterAll(() => broker.close())

  test('a broker that stops reading makes publish() wait, and everything arrives once it reads again', async () => {
    const r = pool.make({ clientId: uid('ws-full'), server: broker.url, socketTimeoutMs: 10_000 })
    await r.client.connect()
    const conn = await broker.connection()
    conn.pause()
    const payload = new Uint8Array(64 * 1024).fill(7)
    let resolved = 0
    const sent: Array<Promise<unknown>> = []
    // Publishes until three of them have waited 200 ms (the kernel's buffers are full by then):
    // bounded by 600 × 64 KiB (37.5 MiB).
    let stalled = false
    for (let i = 0; i < 600 && !stalled; i++) {
      sent.push(r.client.publish('big', payload).then(() => resolved++))
      await new Promise((resolve) => setTimeout(resolve, 1))
      if (sent.length - resolved >= 3) {
        await new Promise((resolve) => setTimeout(resolve, 200))
        stalled = sent.length - resolved >= 3
      }
    }
    expect(stalled, 'publishes waiting while the broker reads nothing').toBe(true)
    conn.resume()
    await Promise.all(sent)
    await waitFor(() => conn.received.filter((p) => p.type === 'publish').length === sent.length, 'every publish', 10_000)
    await waitFor(() => r.client.isWritable, 'isWritable again once the buffer has drained')
  })

  test('a flood the program does not read pauses the WebSocket (the broker backs up), then all of it is delivered', async () => {
    const r = pool.make({ clientId: uid('ws-flood'), server: broker.url, maxPacketBytes: 1 << 20 })
    await r.client.connect()
    const conn = await broker.connection()
    const count = 1600
    const message = publish('flood', new Uint8Array(16 * 1024))
    for (let i = 0; i < count; i++) conn.sendFrame(message)
    const ws = conn.ws as NonNullable<typeof conn.ws>
    // The client stopped reading past its inbox limit: what is left stays in the broker's buffer.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(ws.bufferedAmount).toBeGreaterThan(1 << 20)
    let got = 0
    r.client.setCallback(() => got++)
    const deadline = Date.now() + 15_000
    while (got < count && Date.now() < deadline) await r.client.waitMsg(500)
    expect(got).toBe(count)
    expect(ws.bufferedAmount).toBe(0)
  })
})

describe('wss:// with certificates made for the run', () => {
  const certs = makeCerts()
  let broker: EmbeddedBroker
  let mutual: EmbeddedBroker
  beforeAll(async () => {
    broker = await startEmbeddedBroker({ tls: certs.server, websocket: true })
    mutual = await startEmbeddedBroker({ tls: { ...certs.server, ca: certs.ca, requestCert: true }, websocket: true })
  })
  afterAll(async () => {
    await broker?.close()
    await mutual?.close()
    certs.remove()
  })

  test('trusting the CA: connects to wss://localhost and carries messages', async () => {
    expect(broker.wsUrl).toBe(`wss://localhost:${broker.wsPort}/mqtt`)
    const r = pool.make({ clientId: uid('wss'), server: broker.wsUrl as string, tls: { ca: certs.ca } })
    expect(await r.client.connect()).toBe(false)
    const topic = uid('secure')
    const sub = await r.client.subscribe(topic, { qos: 1 })
    const pid = await r.client.publish(topic, 'over wss', { qos: 1 })
    await pump(r, () => r.statusOf(sub) === SDELIVERED && r.statusOf(pid) === SDELIVERED && r.messages.length > 0, 'the round trip')
    expect(r.messages).toMatchObject([{ topic, text: 'over wss' }])
  })

  test('verification is on by default: without the CA, ECERT saying what to pass', async () => {
    const error = await rejection(pool.make({ clientId: uid('wss-noca'), server: broker.wsUrl as string }).client.connect())
    expect(error).toMatchObject({ code: 'ECERT', errno: 73, operation: 'connect' })
    expect(error.message).toMatch(
      new RegExp(
        `^Cannot connect to wss://localhost:${broker.wsPort}/mqtt: the broker's certificate is not signed by a CA this client trusts: pass that CA as tls\\.ca`,
      ),
    )
    expect(isRetryable(error)).toBe(false)
  })

  test('the name is checked: 127.0.0.1 is in the certificate, a servername it lacks is refused', async () => {
    const byIp = pool.make({ clientId: uid('wss-ip'), server: `wss://127.0.0.1:${broker.wsPort}/mqtt`, tls: { ca: certs.ca } })
    expect(await byIp.client.connect()).toBe(false)
    const wrong = pool.make({
      clientId: uid('wss-name'),
      server: broker.wsUrl as string,
      tls: { ca: certs.ca, servername: 'elsewhere.example' },
    })
    const error = await rejection(wrong.client.connect())
    expect(error).toMatchObject({ code: 'ECERT', message: expect.stringContaining('not for this host name') })
  })

  test('a broker asking for a client certificate: refused without one, accepted with cert and key', async () => {
    const without = pool.make({ clientId: uid('wss-nocert'), server: mutual.wsUrl as string, tls: { ca: certs.ca } })
    const error = await rejection(without.client.connect())
    expect(error.code).toMatch(/^(ETLS|ECONCLOSE|ENOCON)$/)
    const withCert = pool.make({
      clientId: uid('wss-cert'),
      server: mutual.wsUrl as string,
      tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
    })
    expect(await withCert.client.connect()).toBe(false)
    const pid = await withCert.client.publish(uid('mtls'), 'with a certificate', { qos: 1 })
    await pump(withCert, () => withCert.statusOf(pid) === SDELIVERED, 'PUBACK')
  })
})

test('MqttClient over ws:// is the same client: QoS 2 both ways with a real broker', async () => {
  const broker = await startEmbeddedBroker({ websocket: true })
  try {
    const r = pool.make({ clientId: uid('ws-q2'), server: broker.wsUrl as string, keepaliveSec: 1 })
    await r.client.connect()
    const topic = uid('q2')
    await r.client.subscribe(topic, { qos: 2 })
    const pid = await r.client.publish(topic, 'exactly once', { qos: 2 })
    await pump(r, () => r.statusOf(pid) === SDELIVERED && r.messages.length === 1, 'the QoS 2 round trip')
    // Silence for more than a keepalive: the client pings, the link stays up.
    await pump(r, () => false, 'nothing', 2500).catch(() => {})
    expect(r.client.isConnected).toBe(true)
    expect(r.packets.some((p) => p.type === 'pingresp')).toBe(true)
  } finally {
    await pool.closeAll()
    await broker.close()
  }
})
