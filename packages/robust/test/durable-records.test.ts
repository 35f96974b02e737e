/**
 * The log's records: what is written reads back the same, message properties and binary values
 * included, and bytes that are not whole records of known types are refused (a corrupt store).
 */
import { expect, test } from 'vitest'
import { R, RecordWriter, writeFlight, writeMessage, writeSubscription } from '../src/durable-records.js'
import { readRecords, replay } from '../src/durable-replay.js'

test('a message, its flight, its release, an inbound id and a subscription read back as written', () => {
  const w = new RecordWriter()
  const message = {
    topic: 'pumps/7/ünits',
    payload: Uint8Array.of(0, 1, 255),
    qos: 2 as const,
    retain: true,
    id: 'reading-1842',
    properties: { correlationData: Uint8Array.of(9, 8), userProperties: { k: ['v', 'w'] }, messageExpiryInterval: 60 },
  }
  // With an expiry interval, the time publish() took it: a restart does not give it its whole interval again.
  writeMessage(w, 2 ** 40, message, 1_796_500_000_123)
  writeFlight(w, 2 ** 40, { pid: 65535, released: false })
  w.u8(R.RELEASED).f64(2 ** 40)
  w.u8(R.INBOUND).u16(7)
  writeSubscription(w, 'a/+', 1, { noLocal: true })
  const state = replay([w.take()])
  expect(state.messages).toEqual([{ seq: 2 ** 40, message, flight: { pid: 65535, released: true }, queuedAt: 1_796_500_000_123 }])
  expect(state.inbound).toEqual([7])
  expect(state.subscriptions).toEqual([{ filter: 'a/+', qos: 1, options: { noLocal: true } }])
})

test('settled messages and released ids are gone; RESET forgets what came before it', () => {
  const w = new RecordWriter()
  writeMessage(w, 1, { topic: 't', payload: new Uint8Array(0), qos: 1, retain: false, id: 'a' })
  writeMessage(w, 2, { topic: 't', payload: new Uint8Array(0), qos: 1, retain: false, id: 'b' })
  w.u8(R.SETTLED).f64(1).u8(R.INBOUND).u16(3).u8(R.INBOUND_DONE).u16(3)
  const first = w.take()
  expect(replay([first]).messages.map((m) => m.message.id)).toEqual(['b'])
  expect(replay([first]).messages[0]?.queuedAt).toBe(0) // none written: no expiry to count
  expect(replay([first]).inbound).toEqual([])
  w.u8(R.RESET)
  writeMessage(w, 5, { topic: 't', payload: new Uint8Array(0), qos: 0, retain: false, id: 'c' })
  expect(replay([first, w.take()]).messages.map((m) => m.message.id)).toEqual(['c'])
})

test('a truncated value, an unknown record type, or a record naming a message the log never took: refused', () => {
  const w = new RecordWriter()
  writeMessage(w, 1, { topic: 't', payload: Uint8Array.of(1, 2, 3), qos: 1, retain: false, id: 'a' })
  const whole = w.take()
  expect(() => readRecords(whole.subarray(0, whole.length - 1))).toThrow(/past the value/)
  expect(() => readRecords(Uint8Array.of(99))).toThrow(/unknown record type 99/)
  expect(() => replay([w.u8(R.FLIGHT).f64(4).u16(1).take()])).toThrow(/never took/)
})

test('a store of the first layout, whose in-flight record carried the packet (type 3), is read: the message in flight with its packet id, the packet skipped', () => {
  const w = new RecordWriter()
  const message = { topic: 'a/b', payload: Uint8Array.of(1), qos: 1 as const, retain: false, id: 'm-1' }
  writeMessage(w, 5, message, 0)
  w.u8(R.FLIGHT_WITH_PACKET)
    .f64(5)
    .u16(42)
    .bytes(Uint8Array.of(0x32, 0, 3, 0x61, 0x2f, 0x62, 0, 42, 1))
  w.u8(R.RELEASED).f64(5)
  expect(replay([w.take()]).messages).toEqual([{ seq: 5, message, flight: { pid: 42, released: true }, queuedAt: 0 }])
})
