/**
 * Contract §6, "@x/robust on MQTT 5": `'connect'` listeners get `(sessionPresent, server, connack)`;
 * a `'message'` listener's third argument carries the PUBLISH's `properties`; subscribe() takes the
 * v5 subscription options and properties, puts them on the wire (exact SUBSCRIBE bytes), and
 * subscribes again with the same options after a reconnect where the broker kept no session.
 */
import { expect, test } from 'vitest'
import { accept, broker5, connectIn, nthEvent, robust5, type Conn5 } from '@x/test-support/robust5-harness.js'
import { inspect, sleep, waitFor } from '@x/test-support/wait.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)/g, '$1 ').trim()
const pidHex = (pid: number): string => hex(Uint8Array.of(pid >> 8, pid & 0xff))

test("'connect' gets (sessionPresent, server, connack) with the CONNACK's properties as received", async () => {
  const properties = { receiveMaximum: 7, topicAliasMaximum: 3, reasonString: 'welcome' }
  const broker = await broker5(accept({ properties }), accept({ sessionPresent: true, properties: { receiveMaximum: 9 } }))
  const { client, events } = robust5({ server: broker.url })
  expect(await client.connect()).toBe(false)
  const first = await nthEvent(events, 'connect')
  expect(first.args).toEqual([false, broker.url, { sessionPresent: false, reasonCode: 0, properties }])
  ;(await broker.connection(0)).destroy()
  const second = await nthEvent(events, 'connect', 2)
  expect(second.args).toEqual([true, broker.url, { sessionPresent: true, reasonCode: 0, properties: { receiveMaximum: 9 } }])
})

test("a 'message' listener's info carries the PUBLISH's properties (subscription identifier, user properties in order)", async () => {
  const broker = await broker5(accept())
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  const conn = await broker.connection(0)
  const properties = { contentType: 'text/plain', userProperties: { a: '1', b: ['2', '3'] }, subscriptionIdentifier: 7 }
  conn.send({
    type: 'publish',
    topic: 'in/t',
    payload: new TextEncoder().encode('hi'),
    qos: 1,
    pid: 4,
    retain: true,
    dup: false,
    properties,
  })
  conn.send({ type: 'publish', topic: 'in/t', payload: new TextEncoder().encode('bare'), qos: 0, retain: false, dup: false })
  const message = await nthEvent(events, 'message')
  expect(message.args[0]).toBe('in/t')
  expect(message.args[2]).toEqual({ retained: true, dup: false, qos: 1, properties })
  const bare = await nthEvent(events, 'message', 2)
  expect(bare.args[2]).toEqual({ retained: false, dup: false, qos: 0, properties: {} })
})

/** The SUBSCRIBE bytes for 'a/#' with QoS 1, No Local, Retain As Published, Retain Handling 2, Subscription Identifier 7. */
const subscribeBytes = (pid: number): string =>
  // 82, Remaining Length 11, pid, properties: 2 bytes (0x0b Subscription Identifier 7), filter 'a/#',
  // options 0x2d = QoS 1 | No Local 0x04 | Retain As Published 0x08 | Retain Handling 2 << 4.
  `82 0b ${pidHex(pid)} 02 0b 07 00 03 61 2f 23 2d`

async function subscribed(conn: Conn5, n = 1): Promise<Array<[number, string]>> {
  await waitFor(() => conn.log.filter((p) => p.type === 'subscribe').length >= n, `${n} SUBSCRIBE`)
  return conn.log.flatMap((p) => (p.type === 'subscribe' ? [[p.pid, hex(conn.bytesOf(p))] as [number, string]] : []))
}

test('subscribe() with noLocal, retainAsPublished, retainHandling and a subscriptionIdentifier: exact bytes, and the same again after a reconnect without session', async () => {
  const broker = await broker5(accept(), accept({ sessionPresent: false }), accept({ sessionPresent: true }))
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  const conn = await broker.connection(0)
  const granted = inspect(
    client.subscribe('a/#', {
      qos: 1,
      noLocal: true,
      retainAsPublished: true,
      retainHandling: 2,
      properties: { subscriptionIdentifier: 7 },
    }),
  )
  const [[pid, bytes]] = (await subscribed(conn)) as [[number, string]]
  expect(bytes).toBe(subscribeBytes(pid))
  conn.send({ type: 'suback', pid, reasonCodes: [1] })
  await waitFor(() => granted().state !== 'pending', 'subscribe() to settle')
  expect(granted()).toEqual({ state: 'resolved', value: 1 })

  // No session: subscribed again, with the same options and properties.
  conn.destroy()
  await nthEvent(events, 'connect', 2)
  const second = await broker.connection(1)
  const [[pid2, bytes2]] = (await subscribed(second)) as [[number, string]]
  expect(bytes2).toBe(subscribeBytes(pid2))
  second.send({ type: 'suback', pid: pid2, reasonCodes: [1] })

  // Session kept: nothing to subscribe again.
  await sleep(50)
  second.destroy()
  await nthEvent(events, 'connect', 3)
  const third = await broker.connection(2)
  await sleep(150)
  expect(third.log.filter((p) => p.type === 'subscribe')).toEqual([])
})

test('unsubscribe() with properties: exact UNSUBSCRIBE bytes; the filter is not subscribed again', async () => {
  const broker = await broker5(accept(), accept())
  const { client, events } = robust5({ server: broker.url })
  await client.connect()
  const conn = await broker.connection(0)
  const sub = inspect(client.subscribe('a/#', { qos: 0 }))
  const [[spid]] = (await subscribed(conn)) as [[number, string]]
  conn.send({ type: 'suback', pid: spid, reasonCodes: [0] })
  await waitFor(() => sub().state === 'resolved', 'subscribed')
  const unsub = inspect(client.unsubscribe('a/#', { properties: { userProperties: { why: 'done' } } }))
  const [packet, bytes] = await conn.nextBytes('unsubscribe')
  // a2, Remaining Length 20, pid, properties: 12 bytes (0x26 'why' 'done'), filter 'a/#'.
  expect(hex(bytes)).toBe(`a2 14 ${pidHex(packet.pid)} 0c 26 00 03 77 68 79 00 04 64 6f 6e 65 00 03 61 2f 23`)
  conn.send({ type: 'unsuback', pid: packet.pid, reasonCodes: [0] })
  await waitFor(() => unsub().state === 'resolved', 'unsubscribed')
  conn.destroy()
  await nthEvent(events, 'connect', 2)
  const second = await broker.connection(1)
  await connectIn(second)
  await sleep(150)
  expect(second.log.filter((p) => p.type === 'subscribe')).toEqual([])
})
