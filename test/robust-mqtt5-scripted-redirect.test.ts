/**
 * Contract §6, "@x/robust on MQTT 5": a CONNACK or a broker DISCONNECT with "use another server"
 * (0x9C) or "server moved" (0x9D) and a Server Reference moves the client to the referenced server
 * (at once, without backoff, for 0x9C), and what was queued or in flight is delivered there. The
 * broker that redirects is scripted; the one it names is the mosquitto daemon on its default
 * configuration, where a subscriber checks what arrives. The Server Reference is written as MQTT
 * 5.0's examples write one (host:port, §4.11). The backoff is 2 s (minDelayMs 2000, and every
 * connection counts as short-lived), so a client that waited for it could not be online in 300 ms.
 */
import { afterAll, beforeAll, expect, test } from 'vitest'
import { accept, broker5, nthEvent, publishesIn, referenceTo, robust5, text } from './support/robust5-harness.js'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { inspect, now, waitFor, withDeadline } from './support/wait.js'

let mosquitto: Mosquitto
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(async () => {
  await mosquitto?.stop()
})

const SLOW_BACKOFF = { minDelayMs: 2000, maxDelayMs: 2000, jitter: false, stableAfterMs: 60_000 }

/** A subscriber on mosquitto: the payloads that reached it, in order. */
async function subscriber(topic: string): Promise<() => string[]> {
  const { client, events } = robust5({ clientId: uid('sub'), server: mosquitto.urls.plain, cleanSession: true })
  await client.connect()
  await client.subscribe(topic, { qos: 1 })
  return () => events.filter((e) => e.name === 'message').map((e) => text(e.args[1] as Uint8Array))
}

test.each([
  ['0x9C use another server', 0x9c],
  ['0x9D server moved', 0x9d],
] as const)('CONNACK %s naming mosquitto: online there, queued messages delivered there', async (_name, reasonCode) => {
  const topic = `redirect/${uid('connack')}`
  const received = await subscriber(topic)
  const reference = referenceTo(mosquitto.urls.plain)
  const scripted = await broker5(accept({ reasonCode, properties: { serverReference: reference, reasonString: 'not here' } }))
  const { client, events } = robust5({ clientId: uid('moved'), server: scripted.url, reconnect: SLOW_BACKOFF })
  const sent = ['m1', 'm2', 'm3'].map((m) => inspect(client.publish(topic, m, { qos: 1 })))
  const started = now()
  await withDeadline(client.connect(), 5000, 'connect() through the redirect')
  const took = now() - started
  if (reasonCode === 0x9c) expect(took).toBeLessThan(300)
  const connect = await nthEvent(events, 'connect')
  expect(connect.args[1]).toContain(reference)
  expect(client.server).toContain(reference)
  expect(scripted.connections.length).toBe(1)
  await waitFor(() => sent.every((p) => p().state === 'resolved'), 'the queued messages delivered')
  await waitFor(() => received().length >= 3, 'the subscriber to get them')
  expect(received()).toEqual(['m1', 'm2', 'm3'])
})

test.each([
  ['0x9C use another server', 0x9c, 'EUSESERVER'],
  ['0x9D server moved', 0x9d, 'ESERVERMOVED'],
] as const)(
  "DISCONNECT %s while online: 'disconnect' carries the reason; online at the referenced server; in-flight and queued messages delivered there",
  async (_name, reasonCode, code) => {
    const topic = `redirect/${uid('disconnect')}`
    const received = await subscriber(topic)
    const reference = referenceTo(mosquitto.urls.plain)
    const scripted = await broker5(accept())
    const { client, events } = robust5({ clientId: uid('moved'), server: scripted.url, reconnect: SLOW_BACKOFF })
    await client.connect()
    const conn = await scripted.connection(0)
    // Sent and never acknowledged by the scripted broker: in flight when it sends DISCONNECT.
    const sent = ['m1', 'm2'].map((m) => inspect(client.publish(topic, m, { qos: 1 })))
    await waitFor(() => publishesIn(conn).length === 2, 'both in flight on the scripted broker')
    conn.send({ type: 'disconnect', reasonCode, properties: { reasonString: 'maintenance', serverReference: reference } })
    const saidAt = now()
    // Published while the client moves.
    sent.push(inspect(client.publish(topic, 'm3', { qos: 1 })))
    const disconnect = await nthEvent(events, 'disconnect')
    expect(disconnect.args[0]).toMatchObject({ code, reasonCode, reasonString: 'maintenance', serverReference: reference })
    const connect = await nthEvent(events, 'connect', 2, 6000)
    if (reasonCode === 0x9c) expect(connect.at - saidAt).toBeLessThan(300)
    expect(connect.args[1]).toContain(reference)
    expect(scripted.connections.length).toBe(1)
    await waitFor(() => sent.every((p) => p().state === 'resolved'), 'all three delivered')
    await waitFor(() => received().length >= 3, 'the subscriber to get them')
    expect(received()).toEqual(['m1', 'm2', 'm3'])
  },
)
