/**
 * @x/robust's flow control from the broker on MQTT 5.0 (issue 22): mosquitto with
 * `max_inflight_messages 5` (a test about that setting) says Receive Maximum 5 in its CONNACK; a
 * RobustClient with `maxInFlight: 100` must keep min(100, 5) = 5 in flight. Counted twice: on the
 * wire, by a proxy that decodes MQTT 5 (PUBLISHes passed to the broker, minus PUBACK, PUBCOMP and
 * refusing PUBREC passed back), and in robust itself (`inFlight`: it must not hand @x/simple more
 * than the broker allows, where they would wait unseen with their acknowledgement timers running).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { startTally } from './support/robust5-clients.js'
import { startWireProxy, type WireProxy } from './support/mqtt5-wire-proxy.js'
import { uid } from './support/test-clients.js'
import { inspect, waitFor, withDeadline } from './support/wait.js'

const WINDOW = 5
const PER_QOS = 500

const figures: string[] = []
let mosquitto: Mosquitto
let wire: WireProxy
beforeAll(async () => {
  mosquitto = await startMosquitto({ settings: [`max_inflight_messages ${WINDOW}`] })
  wire = await startWireProxy(mosquitto.ports.plain)
})
afterAll(async () => {
  await wire?.close()
  await mosquitto?.stop()
  if (figures.length) console.log(`@x/robust, Receive Maximum from mosquitto:\n${figures.join('\n')}`)
})

describe(`mosquitto 2.0.11 with max_inflight_messages ${WINDOW} (Receive Maximum ${WINDOW}), MQTT 5`, () => {
  test(`maxInFlight 100: ${PER_QOS} QoS 1 and ${PER_QOS} QoS 2 at once, never more than ${WINDOW} unacknowledged on the wire nor in robust, all delivered`, async () => {
    const topic = uid('rm5')
    const tally = await startTally({ clientId: uid('rm5-sub'), server: mosquitto.urls.plain, protocolVersion: 5 }, topic, 2)
    const client = new RobustClient({ clientId: uid('rm5-pub'), server: wire.url, protocolVersion: 5, maxInFlight: 100 })
    let receiveMaximum: unknown
    client.on('connect', (_sessionPresent, _server, connack) => {
      receiveMaximum = connack?.properties?.receiveMaximum
    })
    const calls: Array<Promise<void>> = []
    let robustMax = 0
    const sample = setInterval(() => (robustMax = Math.max(robustMax, client.inFlight)), 1)
    try {
      await client.connect()
      const expected: string[] = []
      for (let i = 0; i < PER_QOS; i++) {
        for (const qos of [1, 2] as const) {
          const payload = `q${qos}-${i}`
          expected.push(payload)
          calls.push(client.publish(topic, payload, { qos }))
          robustMax = Math.max(robustMax, client.inFlight)
        }
      }
      const outcomes = calls.map(inspect)
      await withDeadline(Promise.allSettled(calls), 60_000, 'every publish() to settle').catch(() => {})
      await waitFor(() => tally.missing(expected).length === 0, 'every message at the subscriber', 10_000).catch(() => {})
      const settled = outcomes.map((o) => o())
      figures.push(
        `  maxInFlight 100, Receive Maximum ${String(receiveMaximum)}: at most ${wire.maxUnacked} unacknowledged on the wire, ` +
          `at most ${robustMax} in robust's inFlight; ${settled.filter((o) => o.state === 'resolved').length} of ${calls.length} resolved, ` +
          `${tally.missing(expected).length} missing at the subscriber`,
      )
      expect(wire.errors).toEqual([])
      expect(receiveMaximum, "the CONNACK's Receive Maximum, as the 'connect' listener got it").toBe(WINDOW)
      expect(settled.filter((o) => o.state !== 'resolved')).toEqual([])
      expect(tally.missing(expected), 'messages missing at the subscriber').toEqual([])
      expect(wire.sent('publish').length, 'PUBLISH packets on the wire: each once, none refused and sent again').toBe(2 * PER_QOS)
      expect(wire.maxUnacked, 'most QoS 1/2 PUBLISHes unacknowledged on the wire').toBeLessThanOrEqual(WINDOW)
      expect(wire.maxUnacked, 'the window was used, not just respected').toBe(WINDOW)
      expect(robustMax, "most in robust's inFlight: min(maxInFlight, Receive Maximum)").toBeLessThanOrEqual(WINDOW)
    } finally {
      clearInterval(sample)
      await client.close()
      await tally.close()
      await Promise.allSettled(calls)
    }
  }, 90_000)
})
