/**
 * "Quota exceeded" (0x97) from mosquitto 2.0.11 on its defaults is visible on MQTT 5: the status
 * is SREFUSED with code 0x97, where 3.1.1 loses the message silently (mosquitto still answers
 * PUBACK / PUBREC, without a reason code: test/mosquitto-restarts.test.ts).
 *
 * How mosquitto gets there (src/handle_publish.c, database.c in 2.0.11): a PUBLISH is refused
 * with 0x97 when the client's inbound quota (max_inflight_messages, 20) is spent AND its inbound
 * queue is full (msg_count12 − 20 ≥ max_queued_messages, 1,000). A subscriber's full queue does
 * not do it (those messages are dropped for the subscriber, and the publisher gets rc 0). What
 * spends the quota is a taken-over session holding unreleased QoS 2 messages: each one held
 * (PUBREC sent, PUBREL never came) counts against it when the session is resumed. So a device
 * that crashed with over 1,020 of them (played by a bare codec client that ignores Receive Maximum,
 * which @x/simple keeps to) leaves the session so; the @x/simple client resuming it publishes 40 QoS 2
 * messages, mosquitto refuses some (each refusal returns a unit of quota, so they alternate),
 * and exactly the refused ones are missing at the subscriber.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SDELIVERED, SREFUSED } from '@x/simple'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { Pool5, pumpFor } from './support/mqtt5-clients.js'
import { leaveUnreleasedSession } from './support/mqtt5-raw.js'
import { pump, uid } from './support/test-clients.js'
import { withDeadline } from './support/wait.js'

const QUOTA_EXCEEDED = 0x97
// Past 20 (max_inflight_messages) + 1,000 (max_queued_messages), mosquitto's defaults.
const BURST = 1100
const MESSAGES = 40

const figures: string[] = []
let mosquitto: Mosquitto
const pool = new Pool5()
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(async () => {
  await pool.closeAll()
  await mosquitto?.stop()
  if (figures.length) console.log(`quota exceeded on mosquitto 2.0.11:\n${figures.join('\n')}`)
})

describe('MQTT 5 quota exceeded (0x97) from mosquitto 2.0.11 on its defaults', () => {
  test('a resumed session over its inbound quota: each refused publish is SREFUSED with 0x97, and those are exactly the messages the subscriber did not get', async () => {
    const topic = uid('quota')
    const clientId = uid('quota-device')
    const subscriber = pool.make({ clientId: uid('quota-sub'), server: mosquitto.urls.plain })
    await subscriber.client.connect()
    const sub = await subscriber.client.subscribe(`${topic}/#`, { qos: 2 })
    await pump(subscriber, () => subscriber.statusOf(sub) !== undefined, 'SUBACK')

    // The earlier life: QoS 2 PUBLISHes it never released, then a crash (no DISCONNECT).
    const pubrecs = await leaveUnreleasedSession(mosquitto.ports.plain, clientId, `${topic}/old`, BURST)
    const held = pubrecs.filter((p) => (p.reasonCode ?? 0) === 0).length
    // Over its quota already: more held than max_inflight_messages, and some of the burst refused.
    expect(held).toBeGreaterThan(20)
    expect(pubrecs.some((p) => p.reasonCode === QUOTA_EXCEEDED)).toBe(true)

    const device = pool.make({ clientId, server: mosquitto.urls.plain })
    expect(await device.client.connect({ cleanSession: false })).toBe(true)
    const sent = new Map<number, string>()
    for (let i = 0; i < MESSAGES; i++) {
      const text = `new ${i}`
      const pid = await withDeadline(device.client.publish(`${topic}/new`, text, { qos: 2 }), 10_000, `publish ${i}`)
      sent.set(pid as number, text)
    }
    await pump([device, subscriber], () => device.statuses.length >= MESSAGES, 'a status for every publish', 15_000)
    await pumpFor([device, subscriber], 500)

    const refused = device.statuses.filter((s) => s.status === SREFUSED)
    figures.push(`  ${refused.length} of ${MESSAGES} QoS 2 publishes refused with 0x97 on the resumed session`)
    const delivered = device.statuses.filter((s) => s.status === SDELIVERED)
    expect(refused.length).toBeGreaterThan(0)
    expect(refused.every((s) => s.code === QUOTA_EXCEEDED)).toBe(true)
    expect(refused.length + delivered.length).toBe(MESSAGES)

    const got = new Set(subscriber.texts(`${topic}/new`))
    const missing = [...sent.values()].filter((text) => !got.has(text))
    expect(missing.length).toBe(refused.length)
    // Not only as many: the very ones refused.
    expect(missing.sort()).toEqual(refused.map((s) => sent.get(s.pid)).sort())
    // Nothing of the earlier life was released to the subscriber.
    expect(subscriber.texts(`${topic}/old`)).toEqual([])
  }, 60_000)
})
