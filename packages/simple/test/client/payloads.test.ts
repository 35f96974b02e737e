/**
 * Payloads both ways: what publish() takes (text, any of JavaScript's binary types) and what a
 * received payload is (a Uint8Array whose toString() is its text).
 */
import { expect, test } from 'vitest'
import { MqttClient, MqttPayload, PacketDecoder, encode, fromServer } from '@x/simple'
import { recordingClient } from '../support/recording-client.js'

const text = new TextDecoder()

test.each<[string, unknown, number[]]>([
  ['a string, as UTF-8', 'hé', [0x68, 0xc3, 0xa9]],
  ['a Uint8Array', Uint8Array.of(1, 2, 3), [1, 2, 3]],
  ['a Buffer', Buffer.from([4, 5]), [4, 5]],
  ['an ArrayBuffer', Uint8Array.of(6, 7).buffer, [6, 7]],
  ['a DataView on part of a buffer', new DataView(Uint8Array.of(0, 8, 9, 0).buffer, 1, 2), [8, 9]],
  ['a Uint16Array: its bytes as they lie in memory', new Uint16Array([0x0102]), [...new Uint8Array(new Uint16Array([0x0102]).buffer)]],
])('publish() takes %s', async (_name, payload, bytes) => {
  const { client, broker } = recordingClient()
  await client.connect()
  await client.publish('t', payload as ArrayBuffer)
  expect([...(broker.last.sent('publish')[0]?.payload ?? [])]).toEqual(bytes)
  await client.disconnect()
})

test.each<[string, unknown, string]>([
  ['a number', 42, 'a number'],
  ['null', null, 'null'],
  ['an array of numbers', [1, 2], 'an array'],
  ['a plain object', { a: 1 }, 'an object'],
])('publish() refuses %s with EPAYLOAD naming what it is and what would do', async (_name, payload, kind) => {
  const client = new MqttClient({ clientId: 'c', server: 'memory' })
  await expect(client.publish('t', payload as string)).rejects.toMatchObject({
    code: 'EPAYLOAD',
    message: `Cannot publish: the payload is ${kind}; send a string, a Uint8Array (or Buffer), an ArrayBuffer or a DataView`,
  })
})

test('a received payload is a Uint8Array whose toString() is its text, and a view of the socket bytes, not a copy', () => {
  const bytes = encode({ type: 'publish', topic: 't', payload: new TextEncoder().encode('héllo'), qos: 0, retain: false, dup: false })
  const [p] = [...new PacketDecoder(fromServer).push(bytes)]
  const payload = (p as { payload: Uint8Array }).payload
  expect(payload).toBeInstanceOf(Uint8Array)
  expect(payload).toBeInstanceOf(MqttPayload)
  expect(payload.toString()).toBe('héllo')
  expect(`${payload}`).toBe('héllo')
  expect(text.decode(payload)).toBe('héllo')
  expect(payload.buffer).toBe(bytes.buffer)
  // Bytes that are not UTF-8 read as U+FFFD, not as an error: a payload is anything.
  const [q] = [
    ...new PacketDecoder(fromServer).push(
      encode({ type: 'publish', topic: 't', payload: Uint8Array.of(0xff, 0x41), qos: 0, retain: false, dup: false }),
    ),
  ]
  expect((q as { payload: Uint8Array }).payload.toString()).toBe('\ufffdA')
})

test('the message callback gets such a payload', async () => {
  const { client, broker } = recordingClient()
  const got: string[] = []
  client.setCallback((_topic, payload) => got.push(payload.toString()))
  await client.connect()
  broker.last.send({ type: 'publish', topic: 't', payload: new TextEncoder().encode('on'), qos: 0, retain: false, dup: false })
  client.checkMsg()
  expect(got).toEqual(['on'])
  await client.disconnect()
})

test('a publish() waiting for room on a full socket sends the bytes as they were at the call, not as they are later', async () => {
  const { client, broker } = recordingClient()
  await client.connect()
  const conn = broker.last
  conn.full = true
  await client.publish('t', 'fills the buffer')
  const buffer = Uint8Array.of(1, 2, 3)
  const waiting = client.publish('t', buffer, { qos: 1 })
  buffer.set([7, 7, 7]) // reused while the publish waits
  conn.drain()
  await waiting
  expect([...(conn.sent('publish')[1]?.payload ?? [])]).toEqual([1, 2, 3])
  await client.disconnect()
})

test.each([
  ['a Uint8Array', () => Uint8Array.of(1, 2)],
  ['a Node Buffer (whose slice() is a view, not a copy)', () => Buffer.from([1, 2])],
])('the last will keeps the bytes it was set with, from %s', async (_kind, make) => {
  const { client, broker } = recordingClient()
  const buffer = make()
  client.setLastWill('will', buffer)
  buffer.set([9, 9])
  await client.connect()
  expect([...(broker.last.sent('connect')[0]?.will?.payload ?? [])]).toEqual([1, 2])
  await client.disconnect()
})
