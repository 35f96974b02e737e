/**
 * @x/robust on MQTT 5.0 through restarts of Debian's mosquitto 2.0.11 with persistence on,
 * otherwise on its defaults (max_inflight_messages 20): 1,500 QoS 1 (and 1,500 QoS 2) messages while the broker is
 * restarted three times (SIGTERM, so it saves the sessions); a subscriber with a persistent
 * session counts them (issue 22).
 *
 * Why v5 must lose none: past its quota mosquitto answers a PUBLISH with PUBACK "quota exceeded"
 * (0x97) and drops it. On MQTT 3.1.1 that PUBACK looks like a delivery; on MQTT 5 the client sees
 * the reason code and must send the message again after a backoff. The test counts the 0x97s the
 * publisher read (on its own packet observer, whatever robust does with them) and prints both
 * figures, for the note that sets them beside the 3.1.1 ones (test/mosquitto-restarts.test.ts).
 */
import { afterAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { startMosquitto } from './support/mosquitto.js'
import { watchAcks } from './support/robust5-clients.js'
import { uid } from './support/test-clients.js'
import { inspect, sleep, waitFor, withDeadline } from './support/wait.js'

const MESSAGES = 1500
const RESTARTS = 3
const QUOTA_EXCEEDED = 0x97

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`mosquitto restarts with persistence, MQTT 5:\n${figures.join('\n')}`)
})

describe('mosquitto 2.0.11 with persistence, defaults (max_inflight_messages 20), MQTT 5, restarted three times', () => {
  test.each([1, 2] as const)(
    `${MESSAGES} QoS %i messages, @x/robust defaults: none lost (none twice at QoS 2), the 0x97 refusals counted`,
    async (qos) => {
      const mosquitto = await startMosquitto({ persistence: true })
      const topic = uid(`restarts5/q${qos}`)
      const options = { server: mosquitto.urls.plain, protocolVersion: 5 as const, reconnect: { minDelayMs: 50, maxDelayMs: 500 } }
      const subscriberAcks = watchAcks()
      const publisherAcks = watchAcks()
      const subscriber = new RobustClient({ clientId: uid('restart5-sub'), ...options, createClient: subscriberAcks.createClient })
      const publisher = new RobustClient({ clientId: uid('restart5-pub'), ...options, createClient: publisherAcks.createClient })
      const seen = new Map<string, number>()
      const decoder = new TextDecoder()
      subscriber.on('message', (_t, payload) => {
        const text = decoder.decode(payload)
        seen.set(text, (seen.get(text) ?? 0) + 1)
      })
      const delivered: Array<Promise<void>> = []
      try {
        await subscriber.connect()
        await subscriber.subscribe(topic, { qos })
        await publisher.connect()
        const restarts = (async () => {
          for (let i = 0; i < RESTARTS; i++) {
            await sleep(700)
            await mosquitto.restart()
          }
        })()
        for (let i = 0; i < MESSAGES; i++) {
          delivered.push(publisher.publish(topic, `${i}`, { qos }))
          if (i % 50 === 49) await sleep(80)
        }
        await restarts
        const outcomes = delivered.map(inspect)
        await withDeadline(Promise.allSettled(delivered), 60_000, `${MESSAGES} deliveries`).catch(() => {})
        const unsettled = outcomes.filter((o) => o().state === 'pending').length
        const rejected = outcomes.filter((o) => o().state === 'rejected').length
        await waitFor(() => seen.size === MESSAGES, 'every message at the subscriber', 20_000).catch(() => {})
        await sleep(300) // late duplicates, if any
        const lost = MESSAGES - seen.size
        const twice = [...seen.values()].filter((n) => n > 1).length
        const refusals = [...publisherAcks.refusals].map(([code, n]) => `${n} × 0x${code.toString(16)}`).join(', ') || 'none'
        figures.push(
          `  QoS ${qos}: ${MESSAGES} sent through ${RESTARTS} restarts, ${lost} lost, ${twice} delivered twice, ${unsettled} unsettled, ` +
            `${rejected} rejected; the publisher read ${publisherAcks.count(QUOTA_EXCEEDED)} ${qos === 1 ? 'PUBACK' : 'PUBREC'} 0x97 (quota exceeded) ` +
            `(all refusals: ${refusals})`,
        )
        expect(unsettled, 'publish() calls never settled').toBe(0)
        expect(rejected, 'publish() calls rejected').toBe(0)
        expect(lost, 'messages lost').toBe(0)
        if (qos === 2) expect(twice, 'QoS 2 messages delivered twice').toBe(0)
      } finally {
        await publisher.close()
        await subscriber.close()
        await Promise.allSettled(delivered)
        await mosquitto.stop()
      }
    },
    120_000,
  )
})
