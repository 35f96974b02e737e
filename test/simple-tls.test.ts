/**
 * TLS against real brokers (aedes behind Node's TLS server, and mosquitto's TLS listeners), with
 * certificates made for the run: verification on by default, the name checked (and how
 * `servername` overrides it), client certificates, and the SNI name the server sees.
 */
import net from 'node:net'
import tls from 'node:tls'
import { Aedes } from 'aedes'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { SDELIVERED, isRetryable, type ClientOptions } from '@x/simple'
import { startEmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { TCP_BROKERS } from './support/brokers.js'
import { secureTestFile, startSecureBroker, type SecureBroker } from './support/secure-brokers.js'
import { pump, rejection, uid, type Recorder } from './support/test-clients.js'

const { certs, pool } = secureTestFile()

const client = (options: Omit<ClientOptions, 'clientId'>): Recorder =>
  pool.make({ clientId: uid('tls'), socketTimeoutMs: 3000, ...options })

describe.each(TCP_BROKERS)('%s', (name) => {
  let broker: SecureBroker

  beforeAll(async () => {
    broker = await startSecureBroker(name, certs)
  })
  afterAll(async () => {
    await pool.closeAll()
    await broker?.stop()
  })

  test('trusting the CA: connects to mqtts://localhost and carries messages', async () => {
    const r = client({ server: `mqtts://localhost:${broker.tlsPort}`, tls: { ca: certs.ca } })
    expect(await r.client.connect()).toBe(false)
    const topic = uid('secure')
    const sub = await r.client.subscribe(topic, { qos: 1 })
    const pid = await r.client.publish(topic, 'over TLS', { qos: 1 })
    await pump(r, () => r.statusOf(sub) === SDELIVERED && r.statusOf(pid) === SDELIVERED && r.messages.length > 0, 'the round trip')
    expect(r.messages).toMatchObject([{ topic, text: 'over TLS' }])
  })

  test('verification is on by default: without the CA, ECERT', async () => {
    const r = client({ server: `mqtts://localhost:${broker.tlsPort}` })
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ name: 'MqttError', code: 'ECERT', errno: 73, operation: 'connect' })
    expect(error.cause).toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_/) })
    expect(error.message).toMatch(
      /^Cannot connect to localhost:\d+: the broker's certificate is not signed by a CA this client trusts: pass that CA as tls\.ca \(/,
    )
    expect(r.client.isConnected).toBe(false)
  })

  test('tls: true means verification too (ECERT)', async () => {
    const r = client({ server: '127.0.0.1', port: broker.tlsPort, tls: true })
    await expect(r.client.connect()).rejects.toMatchObject({ code: 'ECERT' })
  })

  test('rejectUnauthorized: false connects without the CA', async () => {
    const r = client({ server: `mqtts://localhost:${broker.tlsPort}`, tls: { rejectUnauthorized: false } })
    expect(await r.client.connect()).toBe(false)
    expect(r.client.isConnected).toBe(true)
  })

  test('a certificate issued for another host: ECERT, even with the CA', async () => {
    const r = client({ server: `mqtts://localhost:${broker.otherHostPort}`, tls: { ca: certs.ca } })
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ code: 'ECERT', errno: 73 })
    expect(error.cause).toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' })
    expect(error.message).toContain(
      "the broker's certificate is not for this host name: connect by a name it lists, or set tls.servername to one",
    )
  })

  test('servername overrides the name checked: 127.0.0.1 with servername localhost connects', async () => {
    const r = client({ server: '127.0.0.1', port: broker.tlsPort, tls: { ca: certs.ca, servername: 'localhost' } })
    expect(await r.client.connect()).toBe(false)
  })

  test('servername overrides the name checked: a certificate for another host is accepted under that name', async () => {
    // Without servername, 127.0.0.1 is checked against a certificate that names only other.invalid.
    const plain = client({ server: '127.0.0.1', port: broker.otherHostPort, tls: { ca: certs.ca } })
    await expect(plain.client.connect()).rejects.toMatchObject({ code: 'ECERT' })
    const named = client({ server: '127.0.0.1', port: broker.otherHostPort, tls: { ca: certs.ca, servername: broker.otherHost } })
    expect(await named.client.connect()).toBe(false)
  })

  test.each([
    [
      'TLS to a plain port',
      'it is a plain MQTT port; connect with mqtt://',
      () => ({ server: `mqtts://localhost:${broker.passwordPort}`, tls: { ca: certs.ca } }),
    ],
    ['plain MQTT to a TLS port', 'it is a TLS port; connect with mqtts://', () => ({ server: `mqtt://localhost:${broker.tlsPort}` })],
  ])('%s: ETLS at once, saying so with a hint, and not retryable', async (_name, hint, options) => {
    const r = client(options())
    const start = Date.now()
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ name: 'MqttError', code: 'ETLS', operation: 'connect' })
    expect(error.message).toContain(hint)
    expect(isRetryable(error)).toBe(false)
    expect(Date.now() - start).toBeLessThan(2000)
  })

  test('@x/robust: connect() to the wrong kind of port rejects at once instead of retrying for ever', async () => {
    const robust = new RobustClient({
      clientId: uid('robust-tls'),
      server: `mqtts://localhost:${broker.passwordPort}`,
      tls: { ca: certs.ca },
    })
    const attempts: unknown[] = []
    robust.on('reconnecting', (info) => attempts.push(info))
    try {
      await expect(robust.connect()).rejects.toMatchObject({ code: 'ETLS' })
      expect(attempts).toEqual([])
    } finally {
      await robust.close()
    }
  })

  test('the client-certificate listener refuses a client without a certificate (ETLS)', async () => {
    const r = client({ server: `mqtts://localhost:${broker.clientCertPort}`, tls: { ca: certs.ca } })
    const error = await rejection(r.client.connect())
    expect(error).toMatchObject({ name: 'MqttError', code: 'ETLS', errno: 72, operation: 'connect' })
    // What to do, and OpenSSL's reason without its internal file names and numbers.
    expect(error.message).toMatch(
      /^Cannot connect to localhost:\d+: the broker requires a client certificate: pass tls\.cert and tls\.key \(tlsv13 alert certificate required\)$/,
    )
    expect(r.client.isConnected).toBe(false)
  })

  test('the client-certificate listener accepts a client with cert and key', async () => {
    const r = client({
      server: `mqtts://localhost:${broker.clientCertPort}`,
      tls: { ca: certs.ca, cert: certs.client.cert, key: certs.client.key },
    })
    expect(await r.client.connect()).toBe(false)
    const pid = await r.client.publish(uid('mtls'), 'with a certificate', { qos: 1 })
    await pump(r, () => r.statusOf(pid) === SDELIVERED, 'PUBACK')
  })
})

describe('SNI, as a Node TLS server wrapping aedes sees it', () => {
  let aedes: Aedes
  let server: tls.Server
  let port: number
  const sockets = new Set<net.Socket>()
  /** The `servername` of each TLS connection the server accepted, in order. */
  const seen: Array<string | false | null> = []

  beforeAll(async () => {
    aedes = await Aedes.createBroker()
    server = tls.createServer({ cert: certs.server.cert, key: certs.server.key }, (socket) => {
      seen.push(socket.servername)
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
      aedes.handle(socket)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })
  afterAll(async () => {
    await pool.closeAll()
    for (const socket of sockets) socket.destroy()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()))
  })

  async function servernameFor(options: Omit<ClientOptions, 'clientId'>): Promise<string | false | null | undefined> {
    const before = seen.length
    const r = client(options)
    expect(await r.client.connect()).toBe(false)
    await r.client.disconnect()
    expect(seen.length).toBe(before + 1)
    return seen[before]
  }

  test('the host name is sent as SNI by default', async () => {
    expect(await servernameFor({ server: `mqtts://localhost:${port}`, tls: { ca: certs.ca } })).toBe('localhost')
  })

  test('an explicit servername is sent instead', async () => {
    const name = await servernameFor({ server: '127.0.0.1', port, tls: { ca: certs.ca, servername: 'localhost' } })
    expect(name).toBe('localhost')
  })

  test('no SNI for an IP address (RFC 6066 allows only host names)', async () => {
    expect(await servernameFor({ server: `mqtts://127.0.0.1:${port}`, tls: { ca: certs.ca } })).toBe(false)
  })
})

/** Whether this machine has IPv6 loopback (some containers do not). */
const ipv6 = await new Promise<boolean>((resolve) => {
  const probe = net.createServer()
  probe.once('error', () => resolve(false))
  probe.listen(0, '::1', () => probe.close(() => resolve(true)))
})

describe.skipIf(!ipv6)('IPv6 loopback (aedes on ::1)', () => {
  test('mqtt://[::1] connects, and mqtts://[::1] is verified against the certificate’s IP ::1', async () => {
    const plain = await startEmbeddedBroker({ host: '::1' })
    const secure = await startEmbeddedBroker({ host: '::1', tls: certs.server })
    try {
      expect(plain.url).toBe(`mqtt://[::1]:${plain.port}`)
      const a = client({ server: plain.url })
      expect(await a.client.connect()).toBe(false)
      const b = client({ server: `mqtts://[::1]:${secure.port}`, tls: { ca: certs.ca } })
      expect(await b.client.connect()).toBe(false)
      await pool.closeAll()
    } finally {
      await plain.close()
      await secure.close()
    }
  })
})
