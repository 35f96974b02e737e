/**
 * @x/robust through restarts of Debian's mosquitto 2.0.11 with persistence on, otherwise on its
 * defaults: what our users run. A publisher streams 1,500 messages while the broker is restarted
 * three times (SIGTERM, so it saves the sessions); a subscriber with a persistent session counts.
 *
 * Why it holds: mosquitto counts each QoS 2 message it holds unreleased (PUBLISH received, PUBREL
 * not yet) against the client's quota of max_inflight_messages (20), restored ones included, and
 * silently drops what comes beyond it while still answering (rc 151, invisible on 3.1.1). The
 * client keeps at most maxInFlight (20) unacknowledged, counting those it resent after a resumed
 * session, so it never goes past the quota. With `max_inflight_messages 0` the broker instead
 * sends released QoS 2 messages again after a restart (the second test shows that figure).
 */
import { afterAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import type { QoS } from '@x/simple'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { watchReplays } from './support/replays.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor, withDeadline } from './support/wait.js'

const MESSAGES = 1500
const RESTARTS = 3

const figures: string[] = []
afterAll(() => {
  if (figures.length) console.log(`mosquitto restarts with persistence:\n${figures.join('\n')}`)
})

interface Outcome {
  lost: number
  twice: number
  /** Of those twice: sent again by the broker after it had released them (PUBREL). */
  replayed: number
}

/** Streams MESSAGES at `qos` through RESTARTS restarts; counts what the subscriber received. */
async function stream(mosquitto: Mosquitto, qos: QoS): Promise<Outcome> {
  const topic = uid(`restarts/q${qos}`)
  const options = { server: mosquitto.urls.plain, reconnect: { minDelayMs: 50, maxDelayMs: 500 } }
  const watch = watchReplays()
  const subscriber = new RobustClient({ clientId: uid('restart-sub'), ...options, createClient: watch.createClient })
  const publisher = new RobustClient({ clientId: uid('restart-pub'), ...options })
  const seen = new Map<string, number>()
  const decoder = new TextDecoder()
  subscriber.on('message', (_t, payload) => {
    const text = decoder.decode(payload)
    seen.set(text, (seen.get(text) ?? 0) + 1)
  })
  try {
    await subscriber.connect()
    await subscriber.subscribe(topic, { qos })
    await publisher.connect()
    const delivered: Array<Promise<void>> = []
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
    await withDeadline(Promise.all(delivered), 60_000, `${MESSAGES} deliveries`)
    await waitFor(() => seen.size === MESSAGES, 'every message at the subscriber', 20_000).catch(() => {})
    await sleep(300) // late duplicates, if any
    const twice = [...seen].filter(([, n]) => n > 1).map(([text]) => text)
    return { lost: MESSAGES - seen.size, twice: twice.length, replayed: twice.filter((t) => watch.replayed.has(t)).length }
  } finally {
    await publisher.close()
    await subscriber.close()
  }
}

describe('mosquitto 2.0.11 with persistence, restarted three times while messages flow', () => {
  test.each([1, 2] as const)(
    'QoS %i, broker defaults, @x/robust defaults: nothing lost (nothing twice at QoS 2)',
    async (qos) => {
      const mosquitto = await startMosquitto({ persistence: true })
      try {
        const { lost, twice } = await stream(mosquitto, qos)
        figures.push(`  defaults, QoS ${qos}: ${MESSAGES} sent through ${RESTARTS} restarts, ${lost} lost, ${twice} delivered twice`)
        expect(lost).toBe(0)
        if (qos === 2) expect(twice).toBe(0)
      } finally {
        await mosquitto.stop()
      }
    },
    120_000,
  )

  test('QoS 2 with the quota turned off (max_inflight_messages 0): nothing lost, but the broker repeats released messages', async () => {
    const mosquitto = await startMosquitto({ persistence: true, settings: ['max_inflight_messages 0'] })
    try {
      const { lost, twice, replayed } = await stream(mosquitto, 2)
      figures.push(
        `  max_inflight_messages 0, QoS 2: ${lost} lost, ${twice} delivered twice, ${replayed} of them sent again by the broker after PUBREL`,
      )
      expect(lost).toBe(0)
      // Every repeat is the broker's: a 3.1.1 client cannot tell a released id's PUBLISH from a new one.
      expect(replayed).toBe(twice)
    } finally {
      await mosquitto.stop()
    }
  }, 120_000)
})
