/**
 * mosquitto with `max_inflight_messages 3` (a test about that setting): its CONNACK says Receive
 * Maximum 3, and the client never has more than 3 QoS 1/2 PUBLISHes unacknowledged
 * [MQTT-3.3.4-7], counted on the wire by a proxy that decodes both directions (PUBLISH in, minus
 * PUBACK, PUBCOMP and refusing PUBREC back). 500 QoS 1 and 500 QoS 2 publishes are fired at once,
 * and the program does not call checkMsg() until the end: the client frees its slots itself
 * (PUBACK; PUBREC answered with PUBREL; PUBCOMP), and the statuses wait for the checkMsg().
 */
import { describe, expect, test } from 'vitest'
import { type ConnackProperties, SDELIVERED } from '@x/simple'
import { useMosquitto5 } from './support/mqtt5-clients.js'
import { pump, uid } from './support/test-clients.js'
import { withDeadline } from './support/wait.js'

const PER_QOS = 500
const WINDOW = 3

const fixture = useMosquitto5({ settings: [`max_inflight_messages ${WINDOW}`], wire: true })

describe(`mosquitto 2.0.11 with max_inflight_messages ${WINDOW} (Receive Maximum ${WINDOW})`, () => {
  test(`${PER_QOS} QoS 1 and ${PER_QOS} QoS 2 publishes fired without awaiting, no checkMsg(): never more than ${WINDOW} unacknowledged on the wire, all delivered, all SDELIVERED after checkMsg()`, async () => {
    const topic = uid('receive-max')
    const subscriber = fixture.pool.make({ clientId: uid('rm-sub'), server: fixture.mosquitto.urls.plain })
    await subscriber.client.connect()
    const sub = await subscriber.client.subscribe(topic, { qos: 2 })
    await pump(subscriber, () => subscriber.statusOf(sub) !== undefined, 'SUBACK')

    const publisher = fixture.pool.make({ clientId: uid('rm-pub'), server: fixture.wire.url })
    await publisher.client.connect()
    const connack = (publisher.client as unknown as { connack?: { properties?: ConnackProperties } }).connack
    expect(connack?.properties?.receiveMaximum).toBe(WINDOW)

    const calls: Array<Promise<number | undefined>> = []
    for (let i = 0; i < PER_QOS; i++) {
      calls.push(publisher.client.publish(topic, `q1-${i}`, { qos: 1 }))
      calls.push(publisher.client.publish(topic, `q2-${i}`, { qos: 2 }))
    }
    const state = (): string =>
      `${fixture.wire.sent('publish').length} PUBLISH, ${fixture.wire.received('puback').length} PUBACK, ${fixture.wire.received('pubrec').length} PUBREC, ` +
      `${fixture.wire.sent('pubrel').length} PUBREL, ${fixture.wire.received('pubcomp').length} PUBCOMP on the wire, ${fixture.wire.unacked} unacknowledged ` +
      `(at most ${fixture.wire.maxUnacked}); ${subscriber.messages.length} at the subscriber`
    // The subscriber drains meanwhile; the publisher's program is busy elsewhere (no checkMsg()).
    // Waits for every message, or gives up 3 s after the last publish() resolved: well within
    // messageTimeoutMs (10 s), so a late checkMsg() cannot turn a pending pid into STIMEOUT.
    let givenUpAt = Infinity
    const everything = (): boolean => subscriber.messages.length >= 2 * PER_QOS
    const receiving = pump(subscriber, () => everything() || Date.now() > givenUpAt, 'every message at the subscriber', 30_000)
    receiving.catch(() => {}) // awaited below; not unhandled if the publishes fail first
    const pids = await withDeadline(Promise.all(calls), 30_000, 'every publish() handed to the socket').catch((error: Error) => {
      throw new Error(`${error.message}: ${state()}`)
    })
    givenUpAt = Date.now() + 3000
    await receiving
    // mosquitto may pass the last message on before its PUBCOMP reaches the proxy: give that one round trip (bounded).
    for (const until = Date.now() + 2000; fixture.wire.unacked && Date.now() < until;)
      await new Promise((resolve) => setTimeout(resolve, 10))
    // Every exchange completes without the program's checkMsg(): the client answers each PUBREC
    // as it arrives, so even the last QoS 2 message is released to the subscriber.
    const arrived = everything()
    const before = state()
    expect.soft(arrived, `every message at the subscriber before the publisher's first checkMsg(): ${before}`).toBe(true)
    expect.soft(fixture.wire.unacked, `nothing unacknowledged before checkMsg(): ${before}`).toBe(0)

    expect(fixture.wire.errors).toEqual([])
    expect(fixture.wire.sent('publish').length).toBe(2 * PER_QOS)
    expect(fixture.wire.maxUnacked).toBeLessThanOrEqual(WINDOW)
    expect(fixture.wire.maxUnacked).toBe(WINDOW) // the window was used, not just respected
    // No status before checkMsg() ran.
    expect(publisher.statuses).toEqual([])
    publisher.client.checkMsg()
    // (Only if an exchange was left for checkMsg() to finish does this need more rounds.)
    await pump(
      [publisher, subscriber],
      () => publisher.statuses.length >= 2 * PER_QOS && subscriber.messages.length >= 2 * PER_QOS,
      `every status: ${state()}`,
    )
    expect(fixture.wire.maxUnacked).toBeLessThanOrEqual(WINDOW)
    const counts = new Map<number, number>()
    for (const s of publisher.statuses) counts.set(s.pid, (counts.get(s.pid) ?? 0) + 1)
    const twice = publisher.statuses.filter((s) => (counts.get(s.pid) ?? 0) > 1)
    expect(twice, 'one status per pid').toEqual([])
    expect(publisher.statuses.length).toBe(2 * PER_QOS)
    expect(publisher.statuses.filter((s) => s.status !== SDELIVERED || s.code !== 0)).toEqual([])
    expect(new Set(publisher.statuses.map((s) => s.pid))).toEqual(new Set(pids))

    const texts = new Set(subscriber.messages.map((m) => m.text))
    expect(texts.size).toBe(2 * PER_QOS)
    for (let i = 0; i < PER_QOS; i++) expect(texts.has(`q1-${i}`) && texts.has(`q2-${i}`)).toBe(true)
  }, 90_000)
})
