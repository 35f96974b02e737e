/**
 * Message expiry in @x/robust on MQTT 5.0 (issue 22, [MQTT-3.3.2-6]): messages published while
 * the link is down wait in the queue; after a 3 s outage those with `messageExpiryInterval` 1 are
 * not sent (a 'drop' event with reason 'expired', and publish() rejects with EEXPIRED), and those
 * with 10 are sent carrying what is left, about 7, which a subscriber on mosquitto sees.
 *
 * The outage: the fault proxy in front of mosquitto refuses new connections and cuts the current
 * one, so the client knows it is offline and queues (a black hole would put the messages on the
 * wire, in flight, where expiry is the broker's business).
 */
import { describe, expect, test } from 'vitest'
import { RobustClient, type Message } from '@x/robust'
import type { FaultProxy } from './support/fault-proxy.js'
import type { Mosquitto } from './support/mosquitto.js'
import { useMosquittoBehindProxy } from './support/robust5-clients.js'
import { uid } from './support/test-clients.js'
import { inspect, sleep, waitFor, withDeadline } from './support/wait.js'

const EACH = 10
const OUTAGE_MS = 3000

let mosquitto: Mosquitto
let proxy: FaultProxy
useMosquittoBehindProxy((m, p) => {
  mosquitto = m
  proxy = p
})

describe('mosquitto 2.0.11, defaults, MQTT 5: messages queued through a 3 s outage', () => {
  test('messageExpiryInterval 1: dropped as expired, publish() rejects EEXPIRED; 10: delivered carrying about 7', async () => {
    const topic = uid('expiry5')
    const subscriber = new RobustClient({ clientId: uid('expiry5-sub'), server: mosquitto.urls.plain, protocolVersion: 5 })
    const arrived = new Map<string, number | undefined>()
    const decoder = new TextDecoder()
    subscriber.on('message', (_topic, payload, info) => {
      arrived.set(decoder.decode(payload), info.properties?.messageExpiryInterval)
    })
    const client = new RobustClient({
      clientId: uid('expiry5-pub'),
      server: proxy.url,
      protocolVersion: 5,
      reconnect: { minDelayMs: 50, maxDelayMs: 100, jitter: false },
    })
    const drops: Array<{ message: Message; reason: string }> = []
    client.on('drop', (message, reason) => drops.push({ message, reason }))
    const short: Array<Promise<void>> = []
    const long: Array<Promise<void>> = []
    try {
      await subscriber.connect()
      await subscriber.subscribe(topic, { qos: 1 })
      await client.connect()
      await proxy.refuse()
      proxy.cut()
      await waitFor(() => !client.isConnected, 'the client to notice the outage')
      const outageStarted = Date.now()
      for (let i = 0; i < EACH; i++) {
        short.push(client.publish(topic, `short-${i}`, { qos: 1, properties: { messageExpiryInterval: 1 } }))
        long.push(client.publish(topic, `long-${i}`, { qos: 1, properties: { messageExpiryInterval: 10 } }))
      }
      const shortOutcomes = short.map(inspect)
      await sleep(OUTAGE_MS - (Date.now() - outageStarted))
      expect(client.isConnected, 'still offline at the end of the outage').toBe(false)
      await proxy.accept()
      await withDeadline(Promise.all(long), 10_000, 'the messages with 10 s to live to be delivered')
      await Promise.allSettled(short)
      await waitFor(() => [...arrived.keys()].filter((t) => t.startsWith('long-')).length === EACH, 'the long-lived at the subscriber')
      await sleep(200) // an expired message that went out anyway would arrive about now

      const expired = shortOutcomes.map((o) => o())
      expect(expired.map((o) => o.state)).toEqual(Array(EACH).fill('rejected'))
      for (const o of expired) {
        if (o.state !== 'rejected') continue
        expect((o.error as { code?: unknown }).code).toBe('EEXPIRED')
      }
      expect(drops.map((d) => d.reason)).toEqual(Array(EACH).fill('expired'))
      expect(drops.map((d) => decoder.decode(d.message.payload)).sort()).toEqual(short.map((_, i) => `short-${i}`).sort())
      expect(
        [...arrived.keys()].filter((t) => t.startsWith('short-')),
        'expired messages that reached the subscriber',
      ).toEqual([])
      const intervals = [...arrived].filter(([t]) => t.startsWith('long-')).map(([, interval]) => interval)
      console.log(`message expiry: ${EACH} of 1 s dropped as expired; ${EACH} of 10 s arrived carrying ${intervals.join(', ')} s`)
      for (const interval of intervals) {
        expect(interval, 'the remaining interval, as mosquitto forwarded it').toBeGreaterThanOrEqual(6)
        expect(interval).toBeLessThanOrEqual(8)
      }
    } finally {
      await proxy.accept().catch(() => {})
      await client.close()
      await subscriber.close()
      await Promise.allSettled([...short, ...long])
    }
  }, 30_000)
})
