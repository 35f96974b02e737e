/**
 * @x/robust on MQTT 5.0 under real faults, against the mosquitto daemon on its default
 * configuration (issue 22): a fault proxy between the clients and the broker cuts, black-holes or
 * slows the link every few hundred milliseconds, and both the publisher and the subscriber are
 * behind it, each with a session the broker keeps (Clean Start 0 and a Session Expiry Interval).
 * QoS 1 must lose nothing; QoS 2 must lose nothing and hand nothing to the listener twice; every
 * publish() must settle, resolved.
 *
 * The pace (250 messages a second) keeps what piles up for the subscriber during an outage well
 * under mosquitto's default queue of 1,000 per client: a loss beyond it would be the broker's
 * configuration, not the client.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import type { QoS } from '@x/simple'
import { startChaos } from './support/chaos.js'
import type { FaultProxy } from './support/fault-proxy.js'
import { flakyLinkOptions5, startTally, useMosquittoBehindProxy } from './support/robust5-clients.js'
import { uid } from './support/test-clients.js'
import { inspect, sleep, waitFor, withDeadline } from './support/wait.js'

const MESSAGES = 2000

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`@x/robust on MQTT 5 under faults (mosquitto, defaults):\n${figures.join('\n')}`)
})

let proxy: FaultProxy
useMosquittoBehindProxy((_, p) => {
  proxy = p
})

/** Cuts and black holes as in the 3.1.1 chaos tests, with a slow link (100–300 ms each way) between some of them. */
function startSlowChaos(): { stop(): Promise<void>; readonly total: number; readonly outages: string; readonly slow: number } {
  const chaos = startChaos(proxy, { maxMs: 60_000 })
  let slow = 0
  let stopped = false
  const slowing = (async () => {
    for (let n = 0; n < 100 && !stopped; n++) {
      await sleep(900)
      if (stopped) break
      slow++
      proxy.delay(100 + Math.random() * 200)
      await sleep(400)
      proxy.delay(0)
    }
  })()
  return {
    get total() {
      return chaos.total
    },
    get outages() {
      return `${chaos.outages.cut} cuts, ${chaos.outages.blackhole} black holes, ${slow} slow spells`
    },
    get slow() {
      return slow
    },
    stop: async () => {
      stopped = true
      await slowing
      proxy.delay(0)
      await chaos.stop()
    },
  }
}

describe('mosquitto 2.0.11, defaults, MQTT 5: publisher and subscriber behind cuts, black holes and a slow link', () => {
  test.each([1, 2] as const)(
    `${MESSAGES} messages at QoS %i: none lost, none unsettled, none twice to the listener at QoS 2`,
    async (qos: QoS) => {
      const topic = uid(`chaos5/q${qos}`)
      const tally = await startTally(flakyLinkOptions5(uid('chaos5-sub'), proxy.url), topic, 2)
      const publisher = new RobustClient(flakyLinkOptions5(uid('chaos5-pub'), proxy.url))
      let disconnects = 0
      publisher.on('disconnect', () => disconnects++)
      tally.client.on('disconnect', () => disconnects++)
      const expected: string[] = []
      const deliveries: Array<Promise<void>> = []
      try {
        await publisher.connect()
        const chaos = startSlowChaos()
        const started = Date.now()
        try {
          for (let i = 0; i < MESSAGES; i++) {
            const payload = `${topic}#${i}`
            expected.push(payload)
            deliveries.push(publisher.publish(topic, payload, { qos }))
            if (i % 25 === 24) await sleep(100)
          }
        } finally {
          // The outages go on while the backlog drains, up to a point: then the link is left alone.
          await sleep(2000)
          await chaos.stop()
        }
        const outcomes = deliveries.map(inspect)
        await withDeadline(Promise.allSettled(deliveries), 60_000, `${MESSAGES} publish() calls to settle`).catch(() => {})
        const deliveredMs = Date.now() - started
        const unsettled = outcomes.filter((o) => o().state === 'pending').length
        const rejected = outcomes.map((o) => o()).filter((o) => o.state === 'rejected')
        await waitFor(() => tally.missing(expected).length === 0, 'every message at the subscriber', 20_000).catch(() => {})
        await sleep(300) // late duplicates, if any
        const missing = tally.missing(expected)
        const twice = tally.duplicated()
        figures.push(
          `  QoS ${qos}: ${MESSAGES} sent in ${deliveredMs} ms, ${chaos.total} outages (${chaos.outages}), ${disconnects} disconnects seen, ` +
            `${missing.length} lost, ${unsettled} unsettled, ${rejected.length} rejected, ${twice.length} twice to the listener`,
        )
        expect(chaos.total, 'outages caused while publishing').toBeGreaterThanOrEqual(5)
        expect(disconnects, 'outages the clients noticed').toBeGreaterThanOrEqual(3)
        expect(unsettled, 'publish() calls never settled').toBe(0)
        expect(rejected, 'publish() calls rejected').toEqual([])
        expect(missing, 'messages lost').toEqual([])
        if (qos === 2) expect(twice, 'QoS 2 messages handed to the listener twice').toEqual([])
      } finally {
        await publisher.close()
        await tally.close()
        await Promise.allSettled(deliveries)
      }
    },
    150_000,
  )
})
