/**
 * DISCONNECT on MQTT 5.0, both ways, against a scripted broker over real loopback TCP. From the
 * broker: the next checkMsg() / waitMsg() throws an MqttError with its reason code mapped to a
 * code, and its reasonString and serverReference. From the client: disconnect({ reasonCode,
 * properties }) as exact bytes; disconnect() with nothing to say is 2 bytes (MQTT 5.0 §3.14.2.1).
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, type ClientOptions } from '@x/simple'
import { answerWith, FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { sleep, waitFor, withDeadline } from '@x/test-support/wait.js'
import { byteDifference, hex } from '../codec/hex.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker<5>
let client: MqttClient

beforeEach(async () => {
  broker = await FakeBroker.start({ protocolVersion: 5 })
  broker.onConnection = answerWith({})
})

afterEach(async () => {
  await client.disconnect()
  await broker.close()
})

async function connected(): Promise<FakeConnection<5>> {
  client = new MqttClient({ clientId: 'c1', server: broker.url, protocolVersion: 5, socketTimeoutMs: 2000 } as ClientOptions)
  await client.connect()
  return broker.connection()
}

describe('a DISCONNECT from the broker', () => {
  test('0x9C with a reason string and a server reference: waitMsg() throws EUSESERVER carrying all three', async () => {
    const conn = await connected()
    conn.send({ type: 'disconnect', reasonCode: 0x9c, properties: { reasonString: 'moving', serverReference: 'other:1883' } })
    const error = await thrown(() => client.waitMsg(2000))
    expect(error).toBeInstanceOf(MqttError)
    expect(error).toMatchObject({ code: 'EUSESERVER', reasonCode: 0x9c, reasonString: 'moving', serverReference: 'other:1883' })
    expect((error as MqttError).message).toContain('moving')
    await withDeadline(conn.closed, 2000, 'the client to close its socket')
    expect(client.isConnected).toBe(false)
    // Reported once; then not connected.
    expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
  })

  test('the broker closing right after its DISCONNECT: checkMsg() throws the DISCONNECT, not ECONCLOSE', async () => {
    const conn = await connected()
    conn.send({ type: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'shutting down' } })
    await sleep(20)
    conn.destroy()
    await conn.closed
    let error: unknown
    await waitFor(
      () => {
        try {
          client.checkMsg()
          return false
        } catch (e) {
          error = e
          return true
        }
      },
      'checkMsg() to throw',
      2000,
    )
    expect(error).toMatchObject({ code: 'ESHUTDOWN', reasonCode: 0x8b, reasonString: 'shutting down' })
  })

  test('waitMsg() without a timeout wakes up for it', async () => {
    const conn = await connected()
    const waiting = thrown(() => client.waitMsg())
    await sleep(50)
    conn.send({ type: 'disconnect', reasonCode: 0x8e })
    expect(await withDeadline(waiting, 2000, 'waitMsg() to end')).toMatchObject({ code: 'ESESSIONTAKEN', reasonCode: 0x8e })
  })

  test.each<[number, string]>([
    [0x00, 'EDISCONNECT'],
    [0x80, 'EDISCONNECT'],
    [0x82, 'EDISCONNECT'],
    [0x89, 'ESERVERBUSY'],
    [0x8b, 'ESHUTDOWN'],
    [0x8e, 'ESESSIONTAKEN'],
    [0x96, 'ERATELIMIT'],
    [0x97, 'EQUOTA'],
    [0x9c, 'EUSESERVER'],
    [0x9d, 'ESERVERMOVED'],
    [0x9f, 'ERATELIMIT'],
  ])('reason code %i → %s', async (reasonCode, code) => {
    const conn = await connected()
    conn.send({ type: 'disconnect', reasonCode })
    expect(await thrown(() => client.waitMsg(2000))).toMatchObject({ code, reasonCode })
  })

  test('a 2-byte DISCONNECT (e0 00) is reason 0x00: EDISCONNECT', async () => {
    const conn = await connected()
    conn.send(hex('e0 00'))
    expect(await thrown(() => client.waitMsg(2000))).toMatchObject({ code: 'EDISCONNECT', reasonCode: 0 })
  })
})

describe('disconnect() from the client: exact bytes (MQTT 5.0 §3.14)', () => {
  async function disconnectBytes(...args: unknown[]): Promise<Uint8Array> {
    const conn = await connected()
    await (client.disconnect as (...a: unknown[]) => Promise<void>)(...args)
    await withDeadline(conn.closed, 2000, 'the socket to close after DISCONNECT')
    const disconnect = conn.log.find((p) => p.type === 'disconnect')
    expect(disconnect, 'no DISCONNECT').toBeDefined()
    return conn.bytesOf(disconnect as NonNullable<typeof disconnect>)
  }

  const same = (actual: Uint8Array, expected: string) => expect(byteDifference(actual, hex(expected))).toBeUndefined()

  test('disconnect(): e0 00, the reason code and properties left out (MQTT 5.0 §3.14.2.1)', async () => {
    same(await disconnectBytes(), 'e0 00')
  })

  test('disconnect({ reasonCode: 0 }): still e0 00', async () => {
    same(await disconnectBytes({ reasonCode: 0 }), 'e0 00')
  })

  test('disconnect({ reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } }): e0 07 04 05 11 00 00 00 00', async () => {
    same(await disconnectBytes({ reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } }), 'e0 07 04 05 11 00 00 00 00')
  })

  test('disconnect({ reasonCode: 0x04 }): e0 01 04, the property length left out', async () => {
    same(await disconnectBytes({ reasonCode: 0x04 }), 'e0 01 04')
  })

  test('disconnect({ properties: { reasonString } }): reason 0 written because properties follow', async () => {
    same(await disconnectBytes({ properties: { reasonString: 'bye' } }), 'e0 08 00 06 1f 00 03 62 79 65')
  })

  test('a Session Expiry Interval in DISCONNECT when CONNECT set none: EOPTION, nothing sent [MQTT-3.14.2-2]', async () => {
    const conn = await connected()
    const error = await thrown(() => client.disconnect({ properties: { sessionExpiryInterval: 10 } }))
    expect(error).toMatchObject({ code: 'EOPTION' })
    expect((error as MqttError).message).toContain('MQTT-3.14.2-2')
    expect(conn.log.filter((p) => p.type === 'disconnect')).toEqual([])
  })

  test.each<[string, number]>([
    ['not a DISCONNECT reason code at all', 0x05],
    ['Session taken over, sent only by a server (MQTT 5.0 §3.14.2.1, table 3-10)', 0x8e],
    ['Use another server, sent only by a server (MQTT 5.0 §3.14.2.1, table 3-10)', 0x9c],
  ])('a reason code a client may not send (%s, %i): EOPTION before sending [MQTT-3.14.2-1]', async (_name, reasonCode) => {
    const conn = await connected()
    const error = await thrown(() => (client.disconnect as (o: unknown) => Promise<void>)({ reasonCode }))
    expect(error, `sent ${conn.log.filter((p) => p.type === 'disconnect').map((p) => JSON.stringify(p))}`).toMatchObject({
      code: 'EOPTION',
    })
    expect(conn.log.filter((p) => p.type === 'disconnect')).toEqual([])
  })
})
