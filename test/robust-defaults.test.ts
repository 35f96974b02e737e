/**
 * @x/robust with its default options against brokers with their default configuration, as a new
 * user meets them: nothing lost to mosquitto's inflight quota, no reconnect storm when two
 * clients share an id, and no healthy link killed by keepalive.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import { startCounter } from './support/counter.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor, withDeadline } from './support/wait.js'

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`@x/robust with its defaults:\n${figures.join('\n')}`)
})

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)
  const clients: RobustClient[] = []
  const make = (clientId: string, options: Partial<ConstructorParameters<typeof RobustClient>[0]> = {}): RobustClient => {
    const client = new RobustClient({ clientId, server: fixture.broker.url, ...options })
    clients.push(client)
    return client
  }
  afterAll(async () => {
    await Promise.all(clients.map((c) => withDeadline(c.close(), 10_000, 'close()')))
  })

  test.each([1, 2] as const)(
    'a burst of 500 QoS %i messages with every default: each publish() resolves and every message arrives',
    async (qos) => {
      const topic = uid(`burst/q${qos}`)
      const counter = await startCounter(fixture.broker.url, topic, qos, uid('counter'))
      try {
        const client = make(uid('burst'))
        await client.connect()
        const expected = Array.from({ length: 500 }, (_, i) => `${topic}#${i}`)
        await withDeadline(Promise.all(expected.map((payload) => client.publish(topic, payload, { qos }))), 30_000, '500 deliveries')
        await waitFor(() => counter.missing(expected).length === 0, 'every message at the far side', 10_000).catch(() => {})
        const arrived = expected.length - counter.missing(expected).length
        figures.push(`  ${name}: burst of 500 at QoS ${qos}: 500 resolved, ${arrived} arrived, ${counter.duplicated().length} twice`)
        expect(counter.missing(expected)).toEqual([])
        if (qos === 2) expect(counter.duplicated()).toEqual([])
      } finally {
        await counter.stop()
      }
    },
  )

  test('two clients with one client id: each is kicked by the other, and the backoff keeps it from a reconnect storm', async () => {
    const id = uid('twin')
    const a = make(id)
    const b = make(id)
    let connects = 0
    a.on('connect', () => connects++)
    b.on('connect', () => connects++)
    await a.connect()
    await b.connect()
    await sleep(5000)
    figures.push(`  ${name}: two clients sharing an id, 5 s: ${connects} connects in all`)
    // Backoff 0.5–1 s, doubling: a handful of connects each in 5 s (a tight loop made thousands).
    expect(connects).toBeGreaterThanOrEqual(2)
    expect(connects).toBeLessThanOrEqual(16)
  }, 15_000)

  test('a client that only publishes QoS 0 hears nothing back, pings on its own, and keeps its link', async () => {
    const client = make(uid('qos0-only'), { keepaliveSec: 1, socketTimeoutMs: 1000 })
    const lost: string[] = []
    client.on('disconnect', (error) => lost.push(error.code))
    await client.connect()
    for (let i = 0; i < 40; i++) {
      await client.publish(uid('telemetry'), `${i}`)
      await sleep(100)
    }
    figures.push(`  ${name}: QoS 0 only, keepalive 1 s, 4 s: ${lost.length} disconnects`)
    expect(lost).toEqual([])
    expect(client.isConnected).toBe(true)
  })
})
