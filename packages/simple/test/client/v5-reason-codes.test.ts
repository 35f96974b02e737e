/**
 * Reason codes in delivery statuses on MQTT 5.0, from a scripted broker over real loopback TCP:
 * `setCallbackStatus((pid, status, code, properties))` gets the code of the PUBACK / PUBREC /
 * PUBCOMP / SUBACK / UNSUBACK that ended the pid; ≥ 0x80 is SREFUSED, and a refused PUBREC ends
 * the QoS 2 exchange. A code the standard does not define for the packet closes the link
 * (DISCONNECT 0x82). The client's own acknowledgements with reason 0 leave the code out.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, SDELIVERED, SREFUSED, type ClientOptions } from '@x/simple'
import { answerWith, FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { sleep, waitFor } from '@x/test-support/wait.js'
import { hex } from '../codec/hex.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker<5>
let client: MqttClient
let statuses: Array<[pid: number, status: number, code: number | undefined, properties: unknown]>

beforeEach(async () => {
  broker = await FakeBroker.start({ protocolVersion: 5 })
  statuses = []
})

afterEach(async () => {
  await client.disconnect()
  await broker.close()
})

async function connected(connackProperties = {}, options: Record<string, unknown> = {}): Promise<FakeConnection<5>> {
  broker.onConnection = answerWith({ properties: connackProperties })
  client = new MqttClient({ clientId: 'c1', server: broker.url, protocolVersion: 5, socketTimeoutMs: 2000, ...options } as ClientOptions)
  client.setCallbackStatus((pid, status, code, properties) => statuses.push([pid, status, code, properties]))
  await client.connect()
  return broker.connection()
}

/** Calls waitMsg() (bounded) until `n` statuses have been reported. */
async function statusesUntil(n: number): Promise<void> {
  for (let i = 0; i < 20 && statuses.length < n; i++) await client.waitMsg(200)
  expect(statuses.length, 'statuses reported').toBeGreaterThanOrEqual(n)
}

/** The client sent DISCONNECT 0x82 and closed its socket; its next call (bounded) threw an MqttError with that code. */
async function closedForProtocolError(conn: FakeConnection<5>): Promise<void> {
  const error = await thrown(async () => {
    for (let i = 0; i < 10; i++) await client.waitMsg(300)
  })
  expect(error).toBeInstanceOf(MqttError)
  expect((error as MqttError).reasonCode).toBe(0x82)
  await conn.closed
  expect(conn.log.find((p) => p.type === 'disconnect')).toMatchObject({ reasonCode: 0x82 })
}

describe('reason codes in statuses', () => {
  test('PUBACK 0x10 (no matching subscribers) is a delivery, with code 0x10 (MQTT 5.0 §3.4.2.1)', async () => {
    const conn = await connected()
    const pid = (await client.publish('t', 'x', { qos: 1 })) as number
    await conn.next('publish')
    conn.send({ type: 'puback', pid, reasonCode: 0x10 })
    await statusesUntil(1)
    expect(statuses[0]?.slice(0, 3)).toEqual([pid, SDELIVERED, 0x10])
  })

  test('PUBACK 0x97 (quota exceeded) with a Reason String is SREFUSED, code 0x97, the reason string in the properties', async () => {
    const conn = await connected()
    const pid = (await client.publish('t', 'x', { qos: 1 })) as number
    await conn.next('publish')
    conn.send({ type: 'puback', pid, reasonCode: 0x97, properties: { reasonString: 'over quota', userProperties: { k: 'v' } } })
    await statusesUntil(1)
    expect(statuses[0]).toEqual([pid, SREFUSED, 0x97, { reasonString: 'over quota', userProperties: { k: 'v' } }])
  })

  test('PUBREC 0x80 is SREFUSED and ends the exchange: no PUBREL is sent (MQTT 5.0 §4.3.3)', async () => {
    const conn = await connected({ receiveMaximum: 1 })
    const pid = (await client.publish('t', 'x', { qos: 2 })) as number
    await conn.next('publish')
    conn.send({ type: 'pubrec', pid, reasonCode: 0x80 })
    await statusesUntil(1)
    expect(statuses[0]?.slice(0, 3)).toEqual([pid, SREFUSED, 0x80])
    await sleep(100)
    expect(
      conn.log.filter((p) => p.type === 'pubrel'),
      'a PUBREL after a refused PUBREC',
    ).toEqual([])
    // And the refused PUBREC freed the one slot [MQTT-3.3.4-7].
    const next = client.publish('t', 'y', { qos: 2 })
    expect(await next).toBe(pid + 1)
    expect(await conn.next('publish')).toMatchObject({ pid: pid + 1 })
  })

  test('PUBREC 0x10 then PUBCOMP: delivered, with the PUBCOMP’s code', async () => {
    const conn = await connected()
    const pid = (await client.publish('t', 'x', { qos: 2 })) as number
    await conn.next('publish')
    conn.send({ type: 'pubrec', pid, reasonCode: 0x10 })
    await conn.next('pubrel')
    conn.send({ type: 'pubcomp', pid })
    await statusesUntil(1)
    expect(statuses.map((s) => s.slice(0, 3))).toEqual([[pid, SDELIVERED, 0]])
  })

  test('PUBCOMP 0x92 (packet identifier not found) is SREFUSED with code 0x92', async () => {
    const conn = await connected()
    const pid = (await client.publish('t', 'x', { qos: 2 })) as number
    await conn.next('publish')
    conn.send({ type: 'pubrec', pid })
    await conn.next('pubrel')
    conn.send({ type: 'pubcomp', pid, reasonCode: 0x92, properties: { reasonString: 'lost it' } })
    await statusesUntil(1)
    expect(statuses[0]).toEqual([pid, SREFUSED, 0x92, { reasonString: 'lost it' }])
  })

  // One reason code per SUBACK / UNSUBACK: the status carries it, and the reason string if any.
  test.each<[name: string, request: (c: MqttClient) => Promise<number>, reasonCode: number, status: number, reasonString?: string]>([
    ['SUBACK 0x01 is granted QoS 1: delivered with code 1', (c) => c.subscribe('a', { qos: 2 }), 0x01, SDELIVERED],
    [
      'SUBACK 0xA2 (wildcard subscriptions not supported) is SREFUSED with code 0xA2',
      (c) => c.subscribe('a/+'),
      0xa2,
      SREFUSED,
      'no wildcards',
    ],
    ['UNSUBACK 0x11 (no subscription existed) is delivered with code 0x11', (c) => c.unsubscribe('a'), 0x11, SDELIVERED],
    ['UNSUBACK 0x87 (not authorized) is SREFUSED with code 0x87', (c) => c.unsubscribe('a'), 0x87, SREFUSED],
  ])('%s', async (name, request, reasonCode, status, reasonString) => {
    const conn = await connected()
    const pid = await request(client)
    const sent = await conn.next(name.startsWith('SUBACK') ? 'subscribe' : 'unsubscribe')
    const properties = reasonString === undefined ? undefined : { reasonString }
    conn.send({
      type: sent.type === 'subscribe' ? 'suback' : 'unsuback',
      pid,
      reasonCodes: [reasonCode],
      ...(properties && { properties }),
    })
    await statusesUntil(1)
    if (properties) expect(statuses[0]).toEqual([pid, status, reasonCode, properties])
    else expect(statuses[0]?.slice(0, 3)).toEqual([pid, status, reasonCode])
  })
})

describe('a reason code the standard does not define for the packet is a protocol error, not a refusal', () => {
  test.each<[string, (pid: number) => number[]]>([
    ['PUBACK 0x8f [MQTT-3.4.2-1]', (pid) => [0x40, 0x03, 0, pid, 0x8f]],
    ['PUBREC 0x8f [MQTT-3.5.2-1]', (pid) => [0x50, 0x03, 0, pid, 0x8f]],
  ])('%s: DISCONNECT 0x82, socket closed, the next call throws', async (_name, bytes) => {
    const conn = await connected()
    const pid = (await client.publish('t', 'x', { qos: _name.startsWith('PUBREC') ? 2 : 1 })) as number
    await conn.next('publish')
    conn.send(bytes(pid))
    await closedForProtocolError(conn)
    expect(
      statuses.filter(([, status]) => status === SREFUSED),
      'reported as a refusal',
    ).toEqual([])
  })

  test('SUBACK 0x03 [MQTT-3.9.3-2]: DISCONNECT 0x82', async () => {
    const conn = await connected()
    const pid = await client.subscribe('a')
    await conn.next('subscribe')
    conn.send([0x90, 0x04, 0, pid, 0x00, 0x03])
    await closedForProtocolError(conn)
  })
})

describe('requestProblemInformation: false (MQTT 5.0 §3.1.2.11.7)', () => {
  test('a Reason String on a PUBACK after asking for none: DISCONNECT 0x82', async () => {
    const conn = await connected({}, { properties: { requestProblemInformation: false } })
    const pid = (await client.publish('t', 'x', { qos: 1 })) as number
    await conn.next('publish')
    conn.send({ type: 'puback', pid, reasonCode: 0x97, properties: { reasonString: 'over quota' } })
    await closedForProtocolError(conn)
  })

  test('a Reason String on a DISCONNECT is still allowed', async () => {
    const conn = await connected({}, { properties: { requestProblemInformation: false } })
    conn.send({ type: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'bye' } })
    expect(await thrown(() => client.waitMsg(2000))).toMatchObject({ code: 'ESHUTDOWN', reasonString: 'bye' })
  })
})

describe("the client's own acknowledgements: reason code 0 without properties is left out (MQTT 5.0 §3.4.2.1)", () => {
  const publish = (qos: 1 | 2, pid: number) => ({
    type: 'publish' as const,
    topic: 't',
    payload: new Uint8Array(),
    qos,
    retain: false,
    dup: false,
    pid,
  })

  test('PUBACK for an inbound QoS 1 PUBLISH is 4 bytes: 40 02 <pid>', async () => {
    const conn = await connected()
    conn.send(publish(1, 7))
    await client.waitMsg(2000)
    const [, bytes] = await conn.nextBytes('puback')
    expect(bytes).toEqual(hex('40 02 00 07'))
  })

  test('PUBREC then PUBCOMP for an inbound QoS 2 PUBLISH are 4 bytes each', async () => {
    const conn = await connected()
    conn.send(publish(2, 0x0102))
    await client.waitMsg(2000)
    expect((await conn.nextBytes('pubrec'))[1]).toEqual(hex('50 02 01 02'))
    conn.send({ type: 'pubrel', pid: 0x0102 })
    await waitFor(() => (client.checkMsg(), conn.log.some((p) => p.type === 'pubcomp')), 'the PUBCOMP', 2000)
    expect((await conn.nextBytes('pubcomp'))[1]).toEqual(hex('70 02 01 02'))
  })

  test('PUBREL for an outbound QoS 2 is 4 bytes: 62 02 <pid>', async () => {
    const conn = await connected()
    const pid = (await client.publish('t', 'x', { qos: 2 })) as number
    await conn.next('publish')
    conn.send({ type: 'pubrec', pid })
    expect((await conn.nextBytes('pubrel'))[1]).toEqual(hex(`62 02 00 0${pid}`))
  })
})
