/**
 * mosquitto's `max_packet_size` (a test about that setting): its CONNACK then carries Maximum
 * Packet Size, and the client obeys it [MQTT-3.1.2-24]: a PUBLISH over it is refused before
 * sending (ETOOLARGE naming the broker's limit), takes no packet id, and the link stays up for
 * the next one. Without the client's check mosquitto would close the link (it treats a packet
 * over its limit as a protocol error).
 */
import { describe, expect, test } from 'vitest'
import { type ConnackProperties, SDELIVERED, isMqttError } from '@x/simple'
import { useMosquitto5 } from './support/mqtt5-clients.js'
import { pump, rejection, uid } from './support/test-clients.js'

const LIMIT = 2048

const fixture = useMosquitto5({ settings: [`max_packet_size ${LIMIT}`], wire: true })

describe(`mosquitto 2.0.11 with max_packet_size ${LIMIT}`, () => {
  test("a publish over the CONNACK's maximumPacketSize rejects with ETOOLARGE naming the limit; nothing is sent, the link stays up, the next publish is delivered", async () => {
    const topic = uid('max-packet')
    const subscriber = fixture.pool.make({ clientId: uid('mps-sub'), server: fixture.mosquitto.urls.plain })
    await subscriber.client.connect()
    const sub = await subscriber.client.subscribe(topic, { qos: 1 })
    await pump(subscriber, () => subscriber.statusOf(sub) !== undefined, 'SUBACK')

    const client = fixture.pool.make({ clientId: uid('mps-pub'), server: fixture.wire.url })
    await client.client.connect()
    const connack = (client.client as unknown as { connack?: { properties?: ConnackProperties } }).connack
    expect(connack?.properties?.maximumPacketSize).toBe(LIMIT)

    const before = fixture.wire.bytes.up
    const error = await rejection(client.client.publish(topic, new Uint8Array(LIMIT), { qos: 1 }))
    expect(isMqttError(error)).toBe(true)
    expect(error.code).toBe('ETOOLARGE')
    expect(error.message).toContain(String(LIMIT))
    expect(fixture.wire.bytes.up).toBe(before)
    expect(fixture.wire.sent('publish')).toEqual([])
    expect(client.client.isConnected).toBe(true)

    // Just under the limit: PUBLISH fixed header (2 + 2 bytes of Remaining Length) included.
    const fits = new Uint8Array(LIMIT - 4 - (2 + topic.length) - 2 - 1)
    const first = await client.client.publish(topic, fits, { qos: 1 })
    const small = await client.client.publish(topic, 'after', { qos: 1 })
    // The refused publish took no packet id: the first that went out has the first id.
    expect(first).toBe(1)
    expect(small).toBe(2)
    await pump([client, subscriber], () => subscriber.messages.length === 2 && client.statuses.length === 2, 'both messages')
    expect(subscriber.messages.map((m) => m.payload.length)).toEqual([fits.length, 5])
    expect(client.statuses.map((s) => s.status)).toEqual([SDELIVERED, SDELIVERED])
    const sizes = fixture.wire.sent('publish').map((p) => p.payload.length)
    expect(sizes).toEqual([fits.length, 5])
    expect(client.client.isConnected).toBe(true)
  })
})
