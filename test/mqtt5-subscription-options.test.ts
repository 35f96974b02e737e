/**
 * MQTT 5 subscription options and identifiers against mosquitto 2.0.11 on its defaults: each
 * option is shown doing something, beside a subscription without it that behaves otherwise.
 */
import { describe, expect, test } from 'vitest'
import { SDELIVERED } from '@x/simple'
import { pumpFor, type Recorder5, useMosquitto5 } from './support/mqtt5-clients.js'
import { pump, uid } from './support/test-clients.js'

const fixture = useMosquitto5()

async function connected(name: string): Promise<Recorder5> {
  const client = fixture.pool.make({ clientId: uid(name), server: fixture.mosquitto.urls.plain })
  await client.client.connect()
  return client
}

/** Subscribes with v5 options and waits for the SUBACK (granted, not refused). */
async function subscribe(client: Recorder5, filter: string, options: Record<string, unknown>): Promise<void> {
  const pid = await client.client.subscribe(filter, { qos: 1, ...options } as never)
  await pump(client, () => client.statusOf(pid) !== undefined, `SUBACK for ${filter}`)
  expect(client.statusOf(pid)?.status).toBe(SDELIVERED)
}

describe('MQTT 5 subscription options against mosquitto 2.0.11', () => {
  test("noLocal: the client does not get its own publishes on that subscription, but gets others' there and its own elsewhere", async () => {
    const base = uid('nolocal')
    const me = await connected('nolocal-me')
    const other = await connected('nolocal-other')
    await subscribe(me, `${base}/quiet`, { noLocal: true })
    await subscribe(me, `${base}/loud`, { noLocal: false })
    await me.client.publish(`${base}/quiet`, 'mine', { qos: 1 })
    await me.client.publish(`${base}/loud`, 'mine', { qos: 1 })
    await other.client.publish(`${base}/quiet`, 'theirs', { qos: 1 })
    await pump(me, () => me.messages.length >= 2, 'two messages')
    await pumpFor(me, 300)
    expect(me.messages.map((m) => `${m.topic.slice(base.length)} ${m.text}`).sort()).toEqual(['/loud mine', '/quiet theirs'])
  })

  test('retainHandling 2: no retained message on subscribe (0 beside it gets it); retainHandling 1: only for a new subscription', async () => {
    const topic = uid('retain-handling')
    const publisher = await connected('rh-pub')
    await publisher.client.publish(topic, 'kept', { qos: 1, retain: true })
    await pump(publisher, () => publisher.statuses.length === 1, 'PUBACK')

    const never = await connected('rh-2')
    await subscribe(never, topic, { retainHandling: 2 })
    const always = await connected('rh-0')
    await subscribe(always, topic, { retainHandling: 0 })
    await pump(always, () => always.messages.length === 1, 'the retained message with retainHandling 0')
    await pumpFor(never, 300)
    expect(never.messages).toEqual([])
    expect(always.messages[0]).toMatchObject({ text: 'kept', retained: true })

    const once = await connected('rh-1')
    await subscribe(once, topic, { retainHandling: 1 })
    await pump(once, () => once.messages.length === 1, 'the retained message on a new subscription')
    // The same filter again: not a new subscription, no retained message (0 would send it again).
    await subscribe(once, topic, { retainHandling: 1 })
    await pumpFor(once, 300)
    expect(once.messages.length).toBe(1)
    await subscribe(once, topic, { retainHandling: 0 })
    await pump(once, () => once.messages.length === 2, 'the retained message again with retainHandling 0')

    await publisher.client.publish(topic, '', { qos: 1, retain: true }) // clears it
  })

  test('retainAsPublished: a live retained message keeps its RETAIN flag only on the subscription that asked', async () => {
    const topic = uid('rap')
    const asPublished = await connected('rap-on')
    await subscribe(asPublished, topic, { retainAsPublished: true })
    const plain = await connected('rap-off')
    await subscribe(plain, topic, {})
    const publisher = await connected('rap-pub')
    await publisher.client.publish(topic, 'live', { qos: 1, retain: true })
    await pump([asPublished, plain], () => asPublished.messages.length === 1 && plain.messages.length === 1, 'the message at both')
    expect(asPublished.messages[0]).toMatchObject({ text: 'live', retained: true })
    expect(plain.messages[0]).toMatchObject({ text: 'live', retained: false })
    await publisher.client.publish(topic, '', { qos: 1, retain: true })
  })

  test('subscription identifiers come with the messages: one number; with two matching subscriptions mosquitto sends one copy per subscription, each with its own', async () => {
    const base = uid('subid')
    const client = await connected('subid')
    await subscribe(client, `${base}/+`, { properties: { subscriptionIdentifier: 7 } })
    await subscribe(client, `${base}/x`, { properties: { subscriptionIdentifier: 268_435_455 } })
    const publisher = await connected('subid-pub')
    await publisher.client.publish(`${base}/y`, 'one', { qos: 1 })
    await pump(client, () => client.messages.length === 1, 'the message on one subscription')
    expect(client.messages[0]?.properties?.subscriptionIdentifier).toBe(7)
    await publisher.client.publish(`${base}/x`, 'two', { qos: 1 })
    await pump(client, () => client.messages.length === 3, 'the message on both subscriptions')
    await pumpFor(client, 200)
    const ids = client.on(`${base}/x`).map((m) => m.properties?.subscriptionIdentifier)
    // mosquitto 2.0.11 on MQTT 5 delivers a message once per matching subscription, each copy
    // with its own id (the array form, one PUBLISH with both, is a scripted broker's test).
    expect(ids.map((id) => typeof id)).toEqual(['number', 'number'])
    expect((ids as number[]).sort((a, b) => a - b)).toEqual([7, 268_435_455])
  })
})
