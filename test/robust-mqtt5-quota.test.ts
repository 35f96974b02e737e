/**
 * "Quota exceeded" (0x97) from mosquitto 2.0.11 on its defaults, met by @x/robust on MQTT 5.0
 * (issue 22): not a delivery, so the message goes again after a backoff, is never lost and its
 * publish() never resolves early.
 *
 * With @x/robust's defaults the restart test (robust-mqtt5-restarts) never reaches mosquitto's
 * quota, so it sees no 0x97. Here the quota is spent on purpose, as a device that crashed would
 * leave it: mosquitto refuses a PUBLISH with 0x97 when the client's inbound quota
 * (max_inflight_messages, 20) is spent and its inbound queue is full (1,000, max_queued_messages),
 * and each QoS 2 message held unreleased in a resumed session counts against both. A bare codec
 * client (which, unlike @x/simple, ignores Receive Maximum) sends 1,100 QoS 2 PUBLISHes and never
 * releases them, then vanishes; a RobustClient resumes that session and publishes 40 QoS 2
 * messages. mosquitto refuses some with 0x97 (each refusal gives back a unit of quota): every one
 * of the 40 must still reach the subscriber, once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { startTally, watchAcks } from './support/robust5-clients.js'
import { leaveUnreleasedSession } from './support/mqtt5-raw.js'
import { uid } from './support/test-clients.js'
import { inspect, sleep, waitFor, withDeadline } from './support/wait.js'

const QUOTA_EXCEEDED = 0x97
// Past 20 (max_inflight_messages) + 1,000 (max_queued_messages), mosquitto's defaults.
const BURST = 1100
const MESSAGES = 40

let mosquitto: Mosquitto
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(async () => {
  await mosquitto?.stop()
})

describe('mosquitto 2.0.11, defaults, MQTT 5: a resumed session over its inbound quota', () => {
  test(`${MESSAGES} QoS 2 publishes met with 0x97: each sent again after a backoff, all delivered once, none resolved before`, async () => {
    const topic = uid('quota5')
    const clientId = uid('quota5-device')
    const tally = await startTally({ clientId: uid('quota5-sub'), server: mosquitto.urls.plain, protocolVersion: 5 }, `${topic}/#`, 2)

    // The earlier life: QoS 2 PUBLISHes never released, then a crash (no DISCONNECT).
    const pubrecs = await leaveUnreleasedSession(mosquitto.ports.plain, clientId, `${topic}/old`, BURST)
    const held = pubrecs.filter((p) => (p.reasonCode ?? 0) === 0).length
    expect(held, 'unreleased QoS 2 messages the session holds: past the quota').toBeGreaterThan(20)

    const acks = watchAcks()
    const device = new RobustClient({
      clientId,
      server: mosquitto.urls.plain,
      protocolVersion: 5,
      reconnect: { minDelayMs: 20, maxDelayMs: 200 },
      createClient: acks.createClient,
    })
    const publishes: Array<Promise<void>> = []
    try {
      expect(await device.connect(), 'the session was resumed').toBe(true)
      const expected: string[] = []
      for (let i = 0; i < MESSAGES; i++) {
        expected.push(`new ${i}`)
        publishes.push(device.publish(`${topic}/new`, `new ${i}`, { qos: 2 }))
      }
      const outcomes = publishes.map(inspect)
      // A refused message resolved as if delivered would show as resolved and missing.
      await withDeadline(Promise.allSettled(publishes), 30_000, `${MESSAGES} publish() calls to settle`).catch(() => {})
      await waitFor(() => tally.missing(expected).length === 0, 'every message at the subscriber', 10_000).catch(() => {})
      await sleep(200)
      const settled = outcomes.map((o) => o())
      console.log(
        `quota exceeded on a resumed session: ${held} held unreleased; ${MESSAGES} QoS 2 published, ${acks.count(QUOTA_EXCEEDED)} PUBREC 0x97 read, ` +
          `${settled.filter((o) => o.state === 'resolved').length} resolved, ${tally.missing(expected).length} missing, ${tally.duplicated().length} twice`,
      )
      expect(acks.count(QUOTA_EXCEEDED), 'refusals met (else this test proves nothing)').toBeGreaterThan(0)
      expect(
        settled.filter((o) => o.state !== 'resolved'),
        'publish() calls not resolved',
      ).toEqual([])
      expect(tally.missing(expected), 'messages lost').toEqual([])
      expect(tally.duplicated(), 'QoS 2 messages delivered twice').toEqual([])
      expect(tally.counts.has(`old 30000`), 'nothing of the earlier life released').toBe(false)
    } finally {
      await device.close()
      await tally.close()
      await Promise.allSettled(publishes)
    }
  }, 60_000)
})
