/**
 * umqtt.simple2's self-test scenarios that need a broken link, with the fault proxy between the
 * client and a real broker (aedes and mosquitto): STIMEOUT when no ack comes, the last will after
 * an abrupt close (and not after disconnect()), a slow link, and dead-link detection.
 */
import { describe, expect, test } from 'vitest'
import { SDELIVERED, STIMEOUT, SUNKNOWNPID, defaultTransport, isRetryable, type ClientOptions, type Link, type Transport } from '@x/simple'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import type { FaultProxy } from './support/fault-proxy.js'
import { pump, uid, type Recorder } from './support/test-clients.js'
import { waitFor } from './support/wait.js'

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)
  const { pool } = fixture
  let proxy: FaultProxy

  /** A client through a new proxy to the broker (not connected yet). */
  async function proxied(options: Partial<ClientOptions> = {}): Promise<Recorder> {
    proxy = await fixture.proxy()
    return pool.make({ clientId: uid('proxied'), server: proxy.url, ...options })
  }

  const direct = (options: Partial<ClientOptions> = {}): Recorder =>
    pool.make({ clientId: uid('direct'), server: fixture.broker.url, ...options })

  async function subscribed(r: Recorder, filters: string[]): Promise<void> {
    const pids = await Promise.all(filters.map((f) => r.client.subscribe(f, { qos: 1 })))
    await pump(r, () => pids.every((pid) => r.statusOf(pid) === SDELIVERED), 'SUBACK')
  }

  test('the network cutting a connection before CONNACK is a retryable failure, not a wrong-port verdict', async () => {
    const r = await proxied({ socketTimeoutMs: 3000 })
    proxy.blackhole()
    const connecting = r.client.connect()
    await waitFor(() => proxy.stats.active > 0, 'the connection through the proxy')
    await new Promise((resolve) => setTimeout(resolve, 50))
    proxy.pass() // the probe that follows reaches the broker, which answers as a plain MQTT port does
    proxy.cut()
    const error = await connecting.then(
      () => undefined,
      (e: unknown) => e,
    )
    // Over WebSocket the cut falls in the HTTP upgrade, before the link is up: a failure to connect.
    expect(error).toMatchObject({ code: fixture.broker.websocket ? 'ENOCON' : 'ECONCLOSE' })
    expect(isRetryable(error)).toBe(true)
  })

  test('STIMEOUT (0) for a QoS 1 publish, a QoS 2 publish and a subscribe the broker never answers', async () => {
    const timeoutMs = 300
    const r = await proxied({ messageTimeoutMs: timeoutMs })
    await r.client.connect()
    proxy.blackhole()
    const sentBefore = proxy.stats.bytesToBroker
    const start = Date.now()
    const pids = [
      await r.client.publish(uid('lost'), 'into the void', { qos: 1 }),
      await r.client.publish(uid('lost'), 'into the void', { qos: 2 }),
      await r.client.subscribe(uid('lost')),
    ]
    await pump(r, () => r.statuses.length >= 3, 'three statuses', 3000)
    expect(Date.now() - start).toBeGreaterThanOrEqual(timeoutMs - 5)
    expect(r.statuses).toEqual(pids.map((pid) => ({ pid, status: STIMEOUT })))
    // Nothing reached the broker: the timeouts are real, not lost acks.
    expect(proxy.stats.bytesToBroker).toBe(sentBefore)
    expect(r.client.isConnected).toBe(true)
  })

  test('a refused connection is ECONNREFUSED (71), and the client is not connected', async () => {
    const r = await proxied()
    await proxy.refuse()
    const error = await r.client.connect().catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'MqttError', errno: 71, code: 'ECONNREFUSED' })
    expect(r.client.isConnected).toBe(false)
    await proxy.accept()
    expect(await r.client.connect()).toBe(false)
  })

  test('no CONNACK within socketTimeoutMs is ECONTIMEOUT (30), and the socket is closed', async () => {
    const r = await proxied({ socketTimeoutMs: 300 })
    proxy.blackhole()
    const start = Date.now()
    // Over WebSocket the HTTP upgrade goes unanswered first: the link itself is not up (ESOCKETTIMEOUT, 74).
    // A WebSocket that opens and then stays silent is ECONTIMEOUT too (websocket-transport.test.ts).
    const late = fixture.broker.websocket ? { errno: 74, code: 'ESOCKETTIMEOUT' } : { errno: 30, code: 'ECONTIMEOUT' }
    await expect(r.client.connect()).rejects.toMatchObject(late)
    expect(Date.now() - start).toBeGreaterThanOrEqual(290)
    expect(r.client.isConnected).toBe(false)
    // The dead link hides the close; once it is back, the close crosses and the connection ends.
    proxy.pass()
    await waitFor(() => proxy.stats.active === 0, 'the client to close its socket')
  })

  test('a slow link (250 ms each way) still delivers, just later', async () => {
    const r = await proxied()
    await r.client.connect()
    proxy.delay(250)
    const start = Date.now()
    const pid = await r.client.publish(uid('slow'), 'patience', { qos: 1 })
    await pump(r, () => r.statusOf(pid) !== undefined, 'PUBACK over the slow link')
    expect(r.statusOf(pid)).toBe(SDELIVERED)
    expect(Date.now() - start).toBeGreaterThanOrEqual(490)
  })

  test('an ack that comes after STIMEOUT is reported as SUNKNOWNPID (2)', async () => {
    const r = await proxied({ messageTimeoutMs: 200 })
    await r.client.connect()
    proxy.delay(200)
    const pid = await r.client.publish(uid('late'), 'slow ack', { qos: 1 })
    await pump(r, () => r.statuses.length >= 2, 'the timeout and the late ack', 3000)
    expect(r.statuses).toEqual([
      { pid, status: STIMEOUT },
      { pid, status: SUNKNOWNPID },
    ])
  })

  test('the last will is published after an abrupt close, and the client reports ECONCLOSE', async () => {
    const will = uid('will')
    const watcher = direct()
    await watcher.client.connect()
    await subscribed(watcher, [will])
    const r = await proxied()
    r.client.setLastWill(will, 'gone', { qos: 1 })
    await r.client.connect()
    expect(proxy.cut()).toBe(1)
    await pump(watcher, () => watcher.on(will).length > 0, 'the last will')
    expect(watcher.on(will)).toMatchObject([{ text: 'gone', qos: 1, retained: false }])
    await waitFor(() => !r.client.isConnected, 'the client to notice the cut')
    expect(() => r.client.checkMsg()).toThrow(expect.objectContaining({ errno: 1, code: 'ECONCLOSE' }))
    // Reported once; then simply not connected.
    expect(() => r.client.checkMsg()).toThrow(expect.objectContaining({ errno: 28, code: 'ECONNOT' }))
  })

  test('no last will after disconnect()', async () => {
    const will = uid('will')
    const marker = `${will}/marker`
    const watcher = direct()
    await watcher.client.connect()
    await subscribed(watcher, [will, marker])
    const r = await proxied()
    r.client.setLastWill(will, 'gone', { qos: 1 })
    await r.client.connect()
    await r.client.disconnect()
    await waitFor(() => proxy.stats.active === 0, 'the broker to close the connection')
    // The broker handled the DISCONNECT before closing, so a will would arrive before this marker.
    await watcher.client.publish(marker, 'after', { qos: 1 })
    await pump(watcher, () => watcher.on(marker).length > 0, 'the marker')
    expect(watcher.on(will)).toEqual([])
  })

  test('connect() on a connected client sends DISCONNECT before closing the old socket: no last will', async () => {
    const will = uid('will')
    const marker = `${will}/marker`
    const watcher = direct()
    await watcher.client.connect()
    await subscribed(watcher, [will, marker])
    const r = direct()
    r.client.setLastWill(will, 'gone', { qos: 1 })
    await r.client.connect()
    expect(await r.client.connect()).toBe(false)
    await r.client.disconnect()
    await watcher.client.publish(marker, 'after', { qos: 1 })
    await pump(watcher, () => watcher.on(marker).length > 0, 'the marker')
    expect(watcher.on(will)).toEqual([])
  })

  test('disconnect() on a dead link waits for it at most socketTimeoutMs, and a second disconnect() ends that wait at once', async () => {
    const r = await proxied({ socketTimeoutMs: 5000 })
    await r.client.connect()
    proxy.blackhole()
    const started = Date.now()
    let firstDone = 0
    const first = r.client.disconnect().then(() => (firstDone = Date.now()))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(firstDone).toBe(0) // still waiting for the broker to close its side
    await r.client.disconnect()
    await first
    expect(firstDone - started).toBeLessThan(1000)
  })

  test('disconnect() after a connect() that left a dead link ending cuts that link too', async () => {
    // The links the client opened and has not released yet (destroyed, or closed by the other side).
    const open = new Set<Link>()
    const counted: Transport = async (target, handlers, signal) => {
      let link: Link | undefined
      const opened = await defaultTransport(
        target,
        { onData: handlers.onData, onClose: (error) => (open.delete(link as Link), handlers.onClose(error)) },
        signal,
      )
      link = {
        ...opened,
        write: (bytes) => opened.write(bytes),
        drain: () => opened.drain(),
        get buffered() {
          return opened.buffered
        },
        pause: () => opened.pause(),
        resume: () => opened.resume(),
        end: () => opened.end().finally(() => open.delete(link as Link)),
        destroy: () => (open.delete(link as Link), opened.destroy()),
      }
      open.add(link)
      return link
    }
    const r = await proxied({ socketTimeoutMs: 5000, transport: counted })
    await r.client.connect()
    proxy.blackhole()
    // A new connection while the old one hangs: the old link is left to end in the background.
    const again = r.client.connect().catch((error: unknown) => error)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(open.size).toBeGreaterThanOrEqual(1) // the old one, ending (and over TCP the new one)
    const started = Date.now()
    await r.client.disconnect()
    expect(await again).toMatchObject({ code: 'ECLOSED' })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(open.size).toBe(0)
  })

  test('a dead link ends waitMsg() without a timeout: EKEEPALIVE, not an endless wait', async () => {
    const r = await proxied({ socketTimeoutMs: 300 })
    await r.client.connect()
    proxy.blackhole()
    const start = Date.now()
    // keepalive is off: the client probes the silent link with a PINGREQ after socketTimeoutMs.
    await expect(r.client.waitMsg()).rejects.toMatchObject({ errno: 7, code: 'EKEEPALIVE' })
    expect(Date.now() - start).toBeGreaterThanOrEqual(590)
    expect(Date.now() - start).toBeLessThan(3000)
    expect(r.client.isConnected).toBe(false)
  })

  test('keepalive: pings keep a quiet link up, and a dead one is declared dead', async () => {
    const r = await proxied({ keepaliveSec: 1, socketTimeoutMs: 400 })
    await r.client.connect()
    const received = proxy.stats.bytesToClient
    // Quiet but alive: the client pings by itself and PINGRESP comes back.
    await pump(r, () => r.packets.some((p) => p.type === 'pingresp'), 'a PINGRESP', 3000)
    expect(proxy.stats.bytesToClient).toBeGreaterThan(received)
    proxy.blackhole()
    const start = Date.now()
    await expect(pump(r, () => false, 'never', 4000)).rejects.toMatchObject({ code: 'EKEEPALIVE' })
    expect(Date.now() - start).toBeLessThan(2600)
  })
})
