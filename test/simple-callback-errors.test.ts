/**
 * A message callback that throws, against real brokers. The error reaches the caller of
 * checkMsg() / waitMsg(), but the protocol must not suffer: the broker still gets its PUBACK
 * (QoS 1) or PUBREC (QoS 2) for the message, whether the client delivers it again or counts it
 * as delivered. Otherwise the message stays in flight on the broker for the whole connection,
 * and a broker with an in-flight window (mosquitto: max_inflight_messages 20) stops sending to
 * the client once the window is full of them.
 */
import { describe, expect, test } from 'vitest'
import { SDELIVERED, type QoS } from '@x/simple'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import type { FaultProxy } from './support/fault-proxy.js'
import { pump, uid } from './support/test-clients.js'
import { waitFor } from './support/wait.js'

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)
  const { pool } = fixture
  let proxy: FaultProxy

  test.each([1, 2] as const)('QoS %i: a throwing callback surfaces its error, and the broker still gets its ack', async (qos: QoS) => {
    const topic = uid('throws')
    proxy = await fixture.proxy()
    const r = pool.make({ clientId: uid('sub'), server: proxy.url })
    await r.client.connect()
    const sub = await r.client.subscribe(topic, { qos })
    await pump(r, () => r.statusOf(sub) === SDELIVERED, 'SUBACK')
    const oops = new Error('the application failed')
    const seen: string[] = []
    r.client.setCallback((_topic, payload) => {
      seen.push(new TextDecoder().decode(payload))
      if (seen.length === 1) throw oops
    })

    const pub = pool.make({ clientId: uid('pub'), server: fixture.broker.url })
    await pub.client.connect()
    const pid = await pub.client.publish(topic, 'first', { qos })
    await pump(pub, () => pub.statusOf(pid) === SDELIVERED, 'the publisher’s ack')
    const before = proxy.stats.bytesToBroker
    // The callback's error comes out of the receive loop as it is.
    await expect(pump(r, () => false, 'never', 3000)).rejects.toBe(oops)
    expect(seen).toEqual(['first'])

    // A PINGREQ/PINGRESP round trip: whatever the client sent before it has reached the fixture.broker.
    r.client.ping()
    await pump(r, () => r.packets.some((p) => p.type === 'pingresp'), 'PINGRESP')
    // PUBACK or PUBREC (4 bytes) for the message, PUBCOMP (4) if the broker's PUBREL came by now, then PINGREQ (2).
    // (A PUBCOMP written after the PINGREQ may still be on its way through the proxy: give it a moment.)
    const pubrels = r.packets.filter((p) => p.type === 'pubrel').length
    // Over WebSocket each of them is a frame of its own (written in different turns): 6 bytes more each (header and mask).
    const expected = 6 + pubrels * 4 + (fixture.broker.websocket ? 6 * (2 + pubrels) : 0)
    await waitFor(() => proxy.stats.bytesToBroker - before >= expected, 'the bytes to pass the proxy', 2000).catch(() => {})
    expect(proxy.stats.bytesToBroker - before, 'bytes sent after the callback threw').toBe(expected)
    expect(r.client.isConnected).toBe(true)
  })
})
