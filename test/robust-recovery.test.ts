/**
 * @x/robust recovering from what is worse than a flaky link, against aedes and the mosquitto
 * daemon: a broker restart that loses every session, a broker that is down when close() is called,
 * and credentials no retry can fix.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { RobustClient, type ReconnectInfo } from '@x/robust'
import { startEmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { BROKERS } from './support/brokers.js'
import { startFaultProxy } from './support/fault-proxy.js'
import { restartable } from './support/restartable.js'
import { startMosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor, withDeadline } from './support/wait.js'

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`@x/robust recovery:\n${figures.join('\n')}`)
})

describe.each(BROKERS)('%s', (name) => {
  test('broker restart, all sessions gone: the client reconnects, resubscribes, and every queued message arrives', async () => {
    const broker = await restartable(name)
    const topic = uid('restart')
    const client = new RobustClient({ clientId: uid('restart'), server: broker.url, reconnect: { minDelayMs: 20, maxDelayMs: 200 } })
    const connects: boolean[] = []
    client.on('connect', (sessionPresent) => connects.push(sessionPresent))
    const received = new Set<string>()
    client.on('message', (_topic, payload) => received.add(new TextDecoder().decode(payload)))
    try {
      await client.connect()
      await client.subscribe(topic, { qos: 1 })
      await client.publish(topic, 'before', { qos: 1 })
      await waitFor(() => received.has('before'), 'the first message')

      await broker.down()
      await waitFor(() => !client.isConnected, 'the client to notice the broker is gone')
      const queued: Array<Promise<void>> = []
      for (let i = 0; i < 200; i++) queued.push(client.publish(topic, `while-down-${i}`, { qos: 1 }))
      await sleep(300) // a few backoff rounds against a closed port
      expect(client.queued, 'messages waiting while the broker is down').toBe(200)

      await broker.up()
      const back = Date.now()
      await withDeadline(Promise.all(queued), 10_000, 'the queue to drain after the restart')
      const drainMs = Date.now() - back
      // The subscription was renewed before the queue went out, so the client hears its own messages.
      await waitFor(() => received.size === 201, `every message back on the renewed subscription (${received.size})`)
      expect(connects.at(-1), 'the restarted broker had no session').toBe(false)
      expect(client.queued).toBe(0)
      expect(client.inFlight).toBe(0)
      figures.push(`  ${name}: 200 messages queued while the broker was down, queue drained ${drainMs} ms after it came back`)
    } finally {
      await client.close()
      await broker.close()
    }
  }, 30_000)

  test('close() during a backoff wait returns at once and rejects what waited', async () => {
    const broker = await restartable(name)
    const proxy = await startFaultProxy({ targetPort: broker.port, websocket: broker.websocket })
    const client = new RobustClient({
      clientId: uid('close'),
      server: proxy.url,
      // stableAfterMs 0: this connection counts as stable, so the first attempt after the cut is immediate.
      reconnect: { minDelayMs: 5000, maxDelayMs: 5000, jitter: false, stableAfterMs: 0 },
    })
    const attempts: ReconnectInfo[] = []
    client.on('reconnecting', (info) => attempts.push(info))
    try {
      await client.connect()
      await proxy.refuse()
      proxy.cut()
      // The first attempt after the cut is immediate and refused; then a 5 s backoff wait begins.
      await waitFor(() => attempts.length >= 1, 'the first reconnection attempt')
      await sleep(200)
      expect(attempts.length, 'still waiting out the backoff').toBe(1)
      const waiting = client.publish('x/y', 'never', { qos: 1 })
      const started = Date.now()
      await client.close()
      const closeMs = Date.now() - started
      expect(closeMs, 'close() during a 5 s backoff wait').toBeLessThan(200)
      await expect(waiting).rejects.toMatchObject({ code: 'ECLOSED' })
    } finally {
      await client.close()
      await proxy.close()
      await broker.close()
    }
  })

  test('an idle client on a link that went silent (half-open) finds it dead by keepalive and recovers', async () => {
    const broker = await restartable(name)
    const proxy = await startFaultProxy({ targetPort: broker.port, websocket: broker.websocket })
    const client = new RobustClient({
      clientId: uid('idle'),
      server: proxy.url,
      keepaliveSec: 1,
      socketTimeoutMs: 1000,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    })
    const lost: string[] = []
    client.on('disconnect', (error) => lost.push(error.code))
    let connects = 0
    client.on('connect', () => connects++)
    try {
      await client.connect()
      const silentAt = Date.now()
      proxy.blackhole()
      // Nothing is in flight, so only keepalive can tell: a PINGREQ after 1 s of silence, and no
      // answer within socketTimeoutMs (1 s) means dead.
      await waitFor(() => lost.length > 0, 'the dead link to be noticed', 4000)
      expect(lost[0]).toBe('EKEEPALIVE')
      expect(Date.now() - silentAt).toBeLessThan(2600)
      proxy.cut()
      proxy.pass()
      await waitFor(() => connects === 2, 'the reconnect', 5000)
      await client.publish(uid('idle/after'), 'alive', { qos: 1 })
    } finally {
      await client.close()
      await proxy.close()
      await broker.close()
    }
  })

  test('bad credentials fail fast: one attempt, no retry', async () => {
    let url: string
    let stop: () => Promise<void>
    if (name === 'mosquitto') {
      const daemon = await startMosquitto()
      url = daemon.urls.password
      stop = () => daemon.stop()
    } else {
      const embedded = await startEmbeddedBroker({ users: { alice: 'wonderland' } })
      url = embedded.url
      stop = () => embedded.close()
    }
    const client = new RobustClient({
      clientId: uid('creds'),
      server: url,
      user: 'alice',
      password: 'not-it',
      reconnect: { minDelayMs: 50 },
    })
    const attempts: ReconnectInfo[] = []
    client.on('reconnecting', (info) => attempts.push(info))
    try {
      const started = Date.now()
      // mosquitto answers a wrong password with CONNACK 5 (not authorized), aedes with 4.
      await expect(client.connect()).rejects.toMatchObject({ errno: name === 'mosquitto' ? 25 : 24 })
      expect(Date.now() - started).toBeLessThan(1000)
      expect(attempts).toEqual([])
    } finally {
      await client.close()
      await stop()
    }
  })
})
