/**
 * A broker that sends a new QoS 2 message under a packet id whose exchange it never finished (no
 * PUBREL since, on a session it kept) breaks [MQTT-2.3.1-2]; the client must take that PUBLISH for
 * the earlier message until PUBREL [MQTT-4.3.3-2], so it does not reach the handler. aedes did it
 * over WebSocket through link cuts (robust-faults.test.ts). This pins the client's side of it and
 * the wire watch (support/replays.ts) that lets the faults test tell that loss from one of ours.
 */
import { afterEach, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { FakeBroker, type FakeConnection } from './support/fake-broker.js'
import { watchReplays } from './support/replays.js'
import { uid } from './support/test-clients.js'
import { sleep } from './support/wait.js'

const brokers: FakeBroker[] = []
const clients: RobustClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  for (const b of brokers.splice(0)) await b.close()
})

test('a new QoS 2 message under a packet id still in an exchange is taken for the earlier one (not delivered), and the watch names it as the broker reusing the id', async () => {
  const b = await FakeBroker.start()
  brokers.push(b)
  b.onConnection = async (conn) => {
    await conn.next('connect')
    conn.send({ type: 'connack', sessionPresent: true, returnCode: 0 })
  }
  const watch = watchReplays()
  const client = new RobustClient({ clientId: uid('reused-pid'), server: b.url, keepaliveSec: 0, createClient: watch.createClient })
  clients.push(client)
  const got: string[] = []
  client.on('message', (_t, payload) => got.push(payload.toString()))
  await client.connect()
  const conn = (await b.connection(0)) as FakeConnection
  const publish = (text: string, dup: boolean): void =>
    conn.send({ type: 'publish', topic: 't', payload: new TextEncoder().encode(text), qos: 2, pid: 9, retain: false, dup })
  publish('first', false)
  await conn.next('pubrec')
  publish('first', true) // a resend of the same message: no violation
  await conn.next('pubrec')
  publish('second', false) // a new message under id 9 before its PUBREL: the broker's violation
  await conn.next('pubrec')
  conn.send({ type: 'pubrel', pid: 9 })
  await conn.next('pubcomp')
  publish('third', false) // id 9 released: free again
  await conn.next('pubrec')
  await sleep(50)
  expect(got).toEqual(['first', 'third'])
  expect([...watch.reused]).toEqual(['second'])
  expect([...watch.replayed]).toEqual([])
})
