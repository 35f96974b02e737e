/**
 * What @x/robust hands over on MQTT 5.0 (issue 22), against mosquitto 2.0.11 on its defaults:
 * the CONNACK as the 'connect' listener's third argument, the PUBLISH's properties in the
 * 'message' listener's third argument, and subscribe options that survive a reconnect where the
 * broker lost the session (robust subscribes again with the same options: noLocal still keeps
 * the client's own messages away).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient, type MessageInfo } from '@x/robust'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { startWireProxy, type WireProxy } from './support/mqtt5-wire-proxy.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

let mosquitto: Mosquitto
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(async () => {
  await mosquitto?.stop()
})

const decoder = new TextDecoder()

describe('mosquitto 2.0.11, defaults, MQTT 5', () => {
  test("the 'connect' listener gets (sessionPresent, server, connack): Receive Maximum 20, Topic Alias Maximum 10", async () => {
    const client = new RobustClient({ clientId: uid('connack5'), server: mosquitto.urls.plain, protocolVersion: 5 })
    const calls: unknown[][] = []
    client.on('connect', (...args: unknown[]) => calls.push(args))
    try {
      const sessionPresent = await client.connect()
      await waitFor(() => calls.length === 1, "the 'connect' event")
      const [present, server, connack] = calls[0] as [boolean, string, { sessionPresent: boolean; reasonCode: number; properties?: object }]
      expect(present).toBe(sessionPresent)
      expect(server).toBe(mosquitto.urls.plain)
      expect(connack).toMatchObject({ sessionPresent: present, reasonCode: 0 })
      expect(connack.properties).toMatchObject({ receiveMaximum: 20, topicAliasMaximum: 10 })
    } finally {
      await client.close()
    }
  })

  test("the 'message' listener's info carries the PUBLISH's properties: userProperties, subscriptionIdentifier, contentType", async () => {
    const topic = uid('props5')
    const subscriber = new RobustClient({ clientId: uid('props5-sub'), server: mosquitto.urls.plain, protocolVersion: 5 })
    const publisher = new RobustClient({ clientId: uid('props5-pub'), server: mosquitto.urls.plain, protocolVersion: 5 })
    const infos: Array<{ text: string; info: MessageInfo }> = []
    subscriber.on('message', (_topic, payload, info) => infos.push({ text: decoder.decode(payload), info }))
    try {
      await subscriber.connect()
      await subscriber.subscribe(topic, { qos: 1, properties: { subscriptionIdentifier: 7 } })
      await publisher.connect()
      await publisher.publish(topic, 'with properties', {
        qos: 1,
        properties: { userProperties: { site: 'north', tag: ['a', 'b'] }, contentType: 'text/plain' },
      })
      await waitFor(() => infos.length === 1, 'the message')
      const { text, info } = infos[0] as (typeof infos)[number]
      expect(text).toBe('with properties')
      expect(info).toMatchObject({ qos: 1, retained: false, dup: false })
      expect(info.properties?.userProperties).toEqual({ site: 'north', tag: ['a', 'b'] })
      expect(info.properties?.contentType).toBe('text/plain')
      // A number for one identifier; an array would say the same.
      expect([info.properties?.subscriptionIdentifier].flat()).toEqual([7])
    } finally {
      await publisher.close()
      await subscriber.close()
    }
  })

  describe('a reconnect where the broker lost the session (mosquitto restarted without persistence)', () => {
    let wire: WireProxy
    beforeAll(async () => {
      wire = await startWireProxy(mosquitto.ports.plain)
    })
    afterAll(async () => {
      await wire?.close()
    })

    test('resubscribed with the same options: noLocal still keeps the own messages away, the SUBSCRIBE on the wire is the same', async () => {
      const topic = uid('nolocal5')
      const marker = uid('nolocal5-marker')
      const options = {
        qos: 1,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 1,
        properties: { subscriptionIdentifier: 5 },
      } as const
      const client = new RobustClient({
        clientId: uid('nolocal5'),
        server: wire.url,
        protocolVersion: 5,
        reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      })
      const other = new RobustClient({
        clientId: uid('nolocal5-other'),
        server: mosquitto.urls.plain,
        protocolVersion: 5,
        reconnect: { minDelayMs: 50, maxDelayMs: 200 },
      })
      const connects: boolean[] = []
      client.on('connect', (sessionPresent) => connects.push(sessionPresent))
      const got: string[] = []
      client.on('message', (_topic, payload) => got.push(decoder.decode(payload)))

      /** Publishes one of the client's own, then a marker on a plain subscription: when the marker is back, the own one would have been too. */
      const round = async (name: string): Promise<void> => {
        await client.publish(topic, `own ${name}`, { qos: 1 })
        await other.publish(topic, `other ${name}`, { qos: 1 })
        await client.publish(marker, `marker ${name}`, { qos: 1 })
        await waitFor(() => got.includes(`marker ${name}`) && got.includes(`other ${name}`), `the marker and the other's message (${name})`)
        await sleep(100)
      }
      try {
        await client.connect()
        await other.connect()
        await client.subscribe(topic, options)
        await client.subscribe(marker, { qos: 1 })
        await round('before')

        await mosquitto.restart()
        await waitFor(() => connects.length >= 2, 'the client back on the restarted broker', 10_000)
        await waitFor(() => other.isConnected, 'the other client back', 10_000)
        expect(connects.at(-1), 'the restarted broker had no session').toBe(false)
        await waitFor(
          () => wire.sent('subscribe').filter((s) => s.subscriptions.some((x) => x.filter === topic)).length >= 2,
          'the resubscription',
          5000,
        )
        await round('after')

        expect(
          got.filter((t) => t.startsWith('own')),
          "the client's own messages, kept away by noLocal",
        ).toEqual([])
        const subscribes = wire
          .sent('subscribe')
          .flatMap((s) => s.subscriptions.filter((x) => x.filter === topic).map((x) => ({ ...x, properties: s.properties })))
        expect(subscribes.length).toBe(2)
        for (const s of subscribes) {
          expect(s, 'the subscription options on the wire').toMatchObject({
            qos: 1,
            noLocal: true,
            retainAsPublished: true,
            retainHandling: 1,
          })
          expect(s.properties, 'the SUBSCRIBE properties on the wire').toMatchObject({ subscriptionIdentifier: 5 })
        }
      } finally {
        await client.close()
        await other.close()
      }
    }, 30_000)
  })
})
