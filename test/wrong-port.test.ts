/**
 * The wrong kind of port, over WebSocket as over TCP: ws:// to an MQTT port, mqtt:// to a
 * WebSocket (HTTP) port, wss:// to a ws:// port and ws:// to a wss:// one are reported at once,
 * with what to connect with instead, and not retried — but only when the bytes prove it (an
 * answer in the wrong protocol, or a second probe of the port the other way). A connection the
 * network cut stays retryable. And the probe is the connect's: disconnect() or close() ends it.
 */
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { MqttClient, isRetryable, type MqttError } from '@x/simple'
import { makeCerts } from '../examples/lib/certs.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

const certs = makeCerts()
let plain: EmbeddedBroker
let secure: EmbeddedBroker
beforeAll(async () => {
  plain = await startEmbeddedBroker({ websocket: true })
  secure = await startEmbeddedBroker({ tls: certs.server, websocket: true })
})
afterAll(async () => {
  await plain?.close()
  await secure?.close()
  certs.remove()
})

/** A server whose first connection is closed as soon as the client speaks; later ones are held silent. */
async function closesThenHolds(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>()
  let count = 0
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    if (count++ === 0) socket.once('data', () => socket.destroy())
    else socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => count,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const CASES: ReadonlyArray<readonly [name: string, url: () => string, code: string, hint: RegExp]> = [
  ['ws:// to an MQTT port', () => `ws://127.0.0.1:${plain.port}/mqtt`, 'EWRONGPORT', /it is an MQTT port; connect with mqtt:\/\//],
  ['mqtt:// to a WebSocket port', () => `mqtt://127.0.0.1:${plain.wsPort}`, 'EWRONGPORT', /it is an HTTP port.*ws:\/\//],
  ['wss:// to a ws:// port', () => `wss://localhost:${plain.wsPort}/mqtt`, 'ETLS', /does not speak TLS.*ws:\/\//],
  ['ws:// to a wss:// port', () => `ws://localhost:${secure.wsPort}/mqtt`, 'ETLS', /it is a TLS port; connect with wss:\/\//],
  ['wss:// to a plain MQTT port', () => `wss://localhost:${plain.port}/mqtt`, 'ETLS', /it is a plain MQTT port; connect with mqtt:\/\//],
  [
    'wss:// to an MQTT over TLS port',
    () => `wss://localhost:${secure.port}/mqtt`,
    'EWRONGPORT',
    /it is an MQTT over TLS port; connect with mqtts:\/\//,
  ],
]

// The CA only for wss:// (a tls option makes any URL a TLS one).
const tlsFor = (server: string) => (server.startsWith('wss:') ? { tls: { ca: certs.ca } } : {})

describe.each(CASES)('%s', (_name, url, code, hint) => {
  test('MqttClient: rejects at once, saying so with a hint, not retryable', async () => {
    const client = new MqttClient({ clientId: uid('wrong'), server: url(), ...tlsFor(url()), socketTimeoutMs: 3000 })
    const started = Date.now()
    const error = (await client.connect().catch((e: unknown) => e)) as MqttError
    expect(error).toMatchObject({ name: 'MqttError', code, operation: 'connect' })
    expect(error.message).toMatch(hint)
    expect(isRetryable(error)).toBe(false)
    expect(Date.now() - started).toBeLessThan(2000)
    await client.disconnect()
  })

  test('RobustClient: connect() rejects at once instead of retrying', async () => {
    const robust = new RobustClient({ clientId: uid('robust-wrong'), server: url(), ...tlsFor(url()), socketTimeoutMs: 3000 })
    const attempts: unknown[] = []
    robust.on('reconnecting', (info) => attempts.push(info))
    try {
      const started = Date.now()
      await expect(robust.connect()).rejects.toMatchObject({ code })
      expect(Date.now() - started).toBeLessThan(2000)
      expect(attempts).toEqual([])
    } finally {
      await robust.close()
    }
  })
})

test('a WebSocket upgrade the server closes unanswered, where the port proves nothing, stays retryable', async () => {
  const server = await closesThenHolds()
  const robust = new RobustClient({
    clientId: uid('robust-flaky'),
    server: `ws://127.0.0.1:${server.port}/mqtt`,
    socketTimeoutMs: 300,
    reconnect: { minDelayMs: 10, maxDelayMs: 20 },
  })
  const errors: unknown[] = []
  robust.on('reconnecting', ({ error }) => errors.push(error))
  robust.on('error', () => {})
  try {
    const connecting = robust.connect().catch((e: unknown) => e)
    await waitFor(() => errors.length > 0, 'a retry', 5000)
    expect(isRetryable(errors[0])).toBe(true)
    await robust.close()
    expect(await connecting).toMatchObject({ code: 'ECLOSED' })
  } finally {
    await robust.close()
    await server.close()
  }
})

describe('the wrong-port probe ends with the connect', () => {
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP').length
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

  test.each([
    ['MqttClient.disconnect()', 'mqtt'],
    ['MqttClient.disconnect() over ws://', 'ws'],
    ['RobustClient.close()', 'robust'],
  ])('%s 300 ms into connect(): no socket or timer left', async (_name, how) => {
    const server = await closesThenHolds()
    const [socketsBefore, timersBefore] = [sockets(), timers()]
    const url = how === 'ws' ? `ws://127.0.0.1:${server.port}/mqtt` : `mqtt://127.0.0.1:${server.port}`
    try {
      if (how === 'robust') {
        const robust = new RobustClient({ clientId: uid('probe'), server: url, socketTimeoutMs: 5000 })
        const connecting = robust.connect().catch((e: unknown) => e)
        await waitFor(() => server.connections() >= 2, 'the probe', 2000)
        await sleep(300 - 50)
        await robust.close()
        expect(await connecting).toMatchObject({ code: 'ECLOSED' })
      } else {
        const client = new MqttClient({ clientId: uid('probe'), server: url, socketTimeoutMs: 5000 })
        const connecting = client.connect().catch((e: unknown) => e)
        await waitFor(() => server.connections() >= 2, 'the probe', 2000)
        await sleep(300 - 50)
        await client.disconnect()
        expect(await connecting).toMatchObject({ code: 'ECLOSED' })
      }
      // A moment for closes under way, far less than the probe's own 5 s deadline.
      await waitFor(() => sockets() <= socketsBefore && timers() <= timersBefore, 'no socket or timer left', 500).catch(() => {})
      const left = { sockets: sockets() - socketsBefore, timers: timers() - timersBefore }
      expect({ sockets: Math.max(0, left.sockets), timers: Math.max(0, left.timers) }).toEqual({ sockets: 0, timers: 0 })
    } finally {
      await server.close()
    }
  })
})
