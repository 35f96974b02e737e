/**
 * @x/robust under real faults, against aedes and the mosquitto daemon: a fault proxy between the
 * client and the broker cuts or black-holes the link every few hundred milliseconds while the
 * client publishes, and a client on the far side (straight to the broker) counts every payload.
 * QoS 1 must lose nothing; QoS 2 must lose nothing and deliver nothing twice. Outbound QoS 2 also
 * with a store (durable sessions: every packet held until its record is written, on every link).
 *
 * Each test prints one line of figures (messages, outages, lost, duplicated, time to drain).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient, type RobustOptions } from '@x/robust'
import type { QoS } from '@x/simple'
import { BROKERS, startPlainBroker, type PlainBroker } from './support/brokers.js'
import { startChaos } from './support/chaos.js'
import { startCounter } from './support/counter.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { temporaryStore } from './support/temporary-store.js'
import { watchReplays } from './support/replays.js'
import { uid } from './support/test-clients.js'
import { sleep, withDeadline } from './support/wait.js'

const MESSAGES = 5000

/** Options for a client that notices a dead link within about a second and retries quickly. */
function flakyLinkOptions(clientId: string, server: string): RobustOptions {
  return {
    clientId,
    server,
    keepaliveSec: 1,
    socketTimeoutMs: 1000,
    messageTimeoutMs: 1000,
    reconnect: { minDelayMs: 20, maxDelayMs: 250 },
  }
}

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`@x/robust under faults:\n${figures.join('\n')}`)
})

describe.each(BROKERS)('%s', (name) => {
  let broker: PlainBroker
  let proxy: FaultProxy

  beforeAll(async () => {
    broker = await startPlainBroker(name)
    proxy = await startFaultProxy({ targetPort: broker.port, websocket: broker.websocket })
  })

  afterAll(async () => {
    await proxy?.close()
    await broker?.stop()
  })

  /** Publishes MESSAGES at `qos` through the proxy while chaos runs, with a store if `durable`; counts them on the far side. */
  async function publishThroughOutages(qos: QoS, durable = false): Promise<void> {
    const topic = uid(`faults/q${qos}`)
    const counter = await startCounter(broker.url, topic, 2, uid('counter'))
    const stored = durable ? temporaryStore('faults') : undefined
    const client = new RobustClient({ ...flakyLinkOptions(uid('publisher'), proxy.url), ...(stored && { store: stored.store }) })
    let disconnects = 0
    client.on('disconnect', () => disconnects++)
    await client.connect()
    // aedes reports a session as present only when it holds a subscription; without one, a
    // reconnect would look like a lost session and in-flight QoS 2 would be sent again as new.
    await client.subscribe(uid('keep-session'), { qos: 1 })
    const chaos = startChaos(proxy)
    const started = Date.now()
    const expected: string[] = []
    const deliveries: Array<Promise<void>> = []
    try {
      // Spread over a few seconds, so outages fall among the publishes, not after them.
      for (let i = 0; i < MESSAGES; i++) {
        const payload = `${topic}#${i}`
        expected.push(payload)
        deliveries.push(client.publish(topic, payload, { qos }))
        if (i % 50 === 49) await sleep(40)
      }
      await withDeadline(Promise.all(deliveries), 120_000, `${MESSAGES} deliveries at QoS ${qos}`)
    } finally {
      await chaos.stop()
    }
    const deliveredMs = Date.now() - started
    await withDeadline(
      (async () => {
        while (counter.missing(expected).length) await sleep(20)
      })(),
      10_000,
      'the far side to receive every message',
    ).catch(() => {})
    const missing = counter.missing(expected)
    const duplicated = counter.duplicated()
    figures.push(
      `  ${name} QoS ${qos}${durable ? ' with a LevelStore' : ''}: ${MESSAGES} sent in ${deliveredMs} ms, ${chaos.total} outages (${chaos.outages.cut} cuts, ${chaos.outages.blackhole} black holes), ` +
        `${disconnects} disconnects seen, ${missing.length} lost, ${duplicated.length} duplicated`,
    )
    await client.close()
    await stored?.remove()
    await counter.stop()
    expect(chaos.total, 'outages caused while publishing').toBeGreaterThanOrEqual(5)
    expect(disconnects, 'outages the client noticed').toBeGreaterThanOrEqual(3)
    expect(counter.failure, 'the far side kept counting').toBeUndefined()
    expect(missing, 'messages lost').toEqual([])
    if (qos === 2) expect(duplicated, 'QoS 2 messages delivered twice').toEqual([])
  }

  test(`${MESSAGES} QoS 1 messages through cuts and black holes: none missing`, () => publishThroughOutages(1), 150_000)

  test(`${MESSAGES} QoS 2 messages through cuts and black holes: none missing, none twice`, () => publishThroughOutages(2), 150_000)

  test(`${MESSAGES} QoS 2 messages with a LevelStore through cuts and black holes: none missing, none twice`, () => publishThroughOutages(2, true), 150_000)

  test.each([1, 2] as const)(
    'a subscriber behind the faults (a device on bad Wi-Fi), inbound QoS %i: nothing lost, nothing twice to the handler at QoS 2',
    async (qos) => {
      const topic = uid(`faults/inbound/q${qos}`)
      const count = 1000
      const decoder = new TextDecoder()
      const watch = watchReplays()
      const client = new RobustClient({ ...flakyLinkOptions(uid('subscriber'), proxy.url), createClient: watch.createClient })
      client.on('connect', (sessionPresent) => void (sessionPresent || watch.sessionLost()))
      const seen = new Map<string, number>()
      client.on('message', (_topic, payload) => {
        const text = decoder.decode(payload)
        seen.set(text, (seen.get(text) ?? 0) + 1)
      })
      await client.connect()
      expect(await client.subscribe(topic, { qos })).toBe(qos)
      const publisher = new RobustClient({ clientId: uid('far-publisher'), server: broker.url })
      await publisher.connect()
      const chaos = startChaos(proxy)
      try {
        const sent: Array<Promise<void>> = []
        for (let i = 0; i < count; i++) {
          sent.push(publisher.publish(topic, `${i}`, { qos }))
          if (i % 20 === 19) await sleep(80)
        }
        await withDeadline(Promise.all(sent), 60_000, 'the far publisher')
      } finally {
        await chaos.stop()
      }
      const sent = Array.from({ length: count }, (_, i) => `${i}`)
      // Every message, but those the broker itself made impossible to deliver (a packet id it reused).
      const missing = (text: string): boolean => !seen.has(text) && !watch.reused.has(text)
      await withDeadline(
        (async () => {
          while (sent.some(missing)) await sleep(20)
        })(),
        30_000,
        `${count} messages to reach the handler (${seen.size} so far, ${watch.reused.size} under a packet id the broker reused)`,
      )
      await publisher.close()
      await client.close()
      const twice = [...seen].filter(([, n]) => n > 1).map(([text]) => text)
      const lost = sent.filter((text) => !seen.has(text))
      figures.push(
        `  ${name} inbound QoS ${qos}: ${count} sent, ${chaos.total} outages, ${lost.length} lost (${watch.reused.size} sent under a packet id the broker reused), ` +
          `${twice.length} delivered twice (${watch.replayed.size} replayed by the broker after PUBREL)`,
      )
      expect(chaos.total, 'outages while messages flowed').toBeGreaterThanOrEqual(5)
      // Lost only where the broker broke the protocol (an id reused before PUBREL); never by the client's own doing.
      expect(lost.filter((text) => !watch.reused.has(text))).toEqual([])
      // mosquitto keeps that rule: there nothing may be lost at all.
      if (name === 'mosquitto') expect(lost).toEqual([])
      if (qos === 2) {
        // Twice only where the broker broke the protocol; never by the client's own doing.
        expect(twice.filter((text) => !watch.replayed.has(text))).toEqual([])
        // mosquitto keeps the rule (aedes 1.2 does not: it resends a released PUBLISH after a reconnect).
        if (name === 'mosquitto') expect(twice).toEqual([])
      }
    },
    120_000,
  )
})
