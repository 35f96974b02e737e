/**
 * Contract §6, "@x/robust on MQTT 5": `cleanSession: false` (robust's default) becomes Clean Start 0
 * with a Session Expiry Interval (0xFFFFFFFF unless given), so the broker keeps the session across
 * outages as it does on 3.1.1. Without it, a v5 broker ends the session when the link drops
 * (MQTT 5.0 §3.1.2.11.2: an absent Session Expiry Interval means 0). Exact CONNECT bytes.
 */
import { expect, test } from 'vitest'
import type { RobustOptions } from '../src/index.js'
import { accept, broker5, connectIn, nthEvent, robust5 } from '@x/test-support/robust5-harness.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 ').trim()

// 00 04 'MQTT' 05: the protocol name and level 5.
const MQTT5 = '00 04 4d 51 54 54 05'
// The payload: client id 'dev-1'.
const DEV1 = '00 05 64 65 76 2d 31'

async function connectBytes(options: Partial<RobustOptions>) {
  const broker = await broker5(accept())
  const { client } = robust5({ server: broker.url, ...options })
  await client.connect()
  const conn = await broker.connection(0)
  const [connect, bytes] = await connectIn(conn)
  return { broker, client, conn, connect, bytes: hex(bytes) }
}

test('cleanSession false (the default): Clean Start 0 and Session Expiry Interval 0xFFFFFFFF', async () => {
  const { connect, bytes } = await connectBytes({})
  // flags 00 (Clean Start 0), keepalive 60 (robust's default), properties: 5 bytes, 0x11 = 0xFFFFFFFF.
  expect(bytes).toBe(`10 17 ${MQTT5} 00 00 3c 05 11 ff ff ff ff ${DEV1}`)
  expect(connect).toMatchObject({ cleanStart: false, properties: { sessionExpiryInterval: 0xffffffff } })
})

test("cleanSession false with the caller's properties: theirs first, in their order, the Session Expiry robust adds last", async () => {
  const { bytes } = await connectBytes({ properties: { receiveMaximum: 10, topicAliasMaximum: 4 } })
  // properties: 21 00 0a (Receive Maximum 10), 22 00 04 (Topic Alias Maximum 4), then 11 ff ff ff ff.
  expect(bytes).toBe(`10 1d ${MQTT5} 00 00 3c 0b 21 00 0a 22 00 04 11 ff ff ff ff ${DEV1}`)
})

test('properties.sessionExpiryInterval 60: sent as given, once, and the same on every reconnect', async () => {
  const { broker, conn, bytes } = await connectBytes({ properties: { sessionExpiryInterval: 60 } })
  expect(bytes).toBe(`10 17 ${MQTT5} 00 00 3c 05 11 00 00 00 3c ${DEV1}`)
  conn.destroy()
  const second = await broker.connection(1, 5000)
  const [, again] = await connectIn(second)
  expect(hex(again)).toBe(bytes)
})

test('cleanSession true: Clean Start 1 and no Session Expiry Interval (the session ends with the link)', async () => {
  const { connect, bytes } = await connectBytes({ cleanSession: true })
  expect(bytes).toBe(`10 12 ${MQTT5} 02 00 3c 00 ${DEV1}`)
  expect(connect).toMatchObject({ cleanStart: true, properties: {} })
})

test('the reconnect after an outage sends Clean Start 0 and 0xFFFFFFFF again: the session the broker kept is resumed', async () => {
  const broker = await broker5(accept(), accept({ sessionPresent: true }))
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  ;(await broker.connection(0)).destroy()
  const second = await broker.connection(1, 5000)
  const [, bytes] = await connectIn(second)
  expect(hex(bytes)).toBe(`10 17 ${MQTT5} 00 00 3c 05 11 ff ff ff ff ${DEV1}`)
  const connect = await nthEvent(events, 'connect', 2)
  expect(connect.args[0]).toBe(true)
})

test('the will with its v5 properties: in the CONNECT, on every connection', async () => {
  const { broker, conn, bytes } = await connectBytes({
    cleanSession: true,
    will: { topic: 'w', payload: 'x', qos: 1, retain: false, properties: { willDelayInterval: 5 } },
  })
  // flags 0e: Clean Start, Will, Will QoS 1; will properties: 5 bytes (0x18 Will Delay Interval 5), topic 'w', payload 'x'.
  expect(bytes).toBe(`10 1e ${MQTT5} 0e 00 3c 00 ${DEV1} 05 18 00 00 00 05 00 01 77 00 01 78`)
  conn.destroy()
  const [, again] = await connectIn(await broker.connection(1, 5000))
  expect(hex(again)).toBe(bytes)
})
