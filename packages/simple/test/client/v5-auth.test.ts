/**
 * Enhanced authentication (MQTT 5.0 §4.12) against a scripted broker over real loopback TCP: with
 * an `authenticationMethod` in the CONNECT properties, each AUTH the broker sends during connect
 * goes to `onAuth({ method, data, reasonCode, properties })`, whose answer is the data of the
 * client's next AUTH (same method [MQTT-4.12.0-5]); the CONNACK ends it. A failing exchange rejects
 * connect() and closes the socket; an AUTH or a CONNACK method the client never asked for is a
 * protocol error [MQTT-4.12.0-6].
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { MqttClient, MqttError, type AuthPacketV5, type ClientOptions } from '@x/simple'
import { FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { withDeadline } from '@x/test-support/wait.js'
import { byteDifference, cat, hex } from '../codec/hex.js'
import { props, str, whole } from '../codec/v5/fixtures-v5.js'
import { thrown } from '../support/recording-client.js'

let broker: FakeBroker<5>
let client: MqttClient | undefined
let challenges: unknown[]

beforeEach(async () => {
  broker = await FakeBroker.start({ protocolVersion: 5 })
  client = undefined
  challenges = []
})

afterEach(async () => {
  await client?.disconnect()
  await broker.close()
})

const METHOD = 'SCRAM'

function authClient(
  onAuth: (challenge: unknown) => Uint8Array | Promise<Uint8Array>,
  properties: Record<string, unknown> = {},
): MqttClient {
  return (client = new MqttClient({
    clientId: 'c1',
    server: broker.url,
    protocolVersion: 5,
    socketTimeoutMs: 2000,
    properties: { authenticationMethod: METHOD, authenticationData: Uint8Array.of(0xaa), ...properties },
    onAuth: (challenge: unknown) => {
      challenges.push(challenge)
      return onAuth(challenge)
    },
  } as ClientOptions))
}

const challenge = (data: number[]): AuthPacketV5 => ({
  type: 'auth',
  reasonCode: 0x18,
  properties: { authenticationMethod: METHOD, authenticationData: Uint8Array.from(data) },
})

const success = { type: 'connack', sessionPresent: false, reasonCode: 0, properties: { authenticationMethod: METHOD } } as const

/** The closing checks of a failed connect: an MqttError, the socket closed by the client. */
async function failedConnect(c: MqttClient): Promise<MqttError> {
  const error = await thrown(() => c.connect())
  expect(error).toBeInstanceOf(MqttError)
  const conn = await broker.connection()
  await withDeadline(conn.closed, 2000, 'the client to close its socket')
  expect(c.isConnected).toBe(false)
  return error as MqttError
}

describe('enhanced authentication (MQTT 5.0 §4.12)', () => {
  test('AUTH 0x18 from the broker → onAuth({ method, data, reasonCode, properties }) → the client’s AUTH 0x18 with the method and the answer (exact bytes); then CONNACK', async () => {
    let clientAuth: Uint8Array | undefined
    broker.onConnection = async (conn) => {
      const connect = await conn.next('connect')
      expect(connect.properties).toEqual({ authenticationMethod: METHOD, authenticationData: Uint8Array.of(0xaa) })
      conn.send(challenge([1, 2]))
      clientAuth = (await conn.nextBytes('auth'))[1]
      conn.send(success)
    }
    const c = authClient(() => Uint8Array.of(3, 4))
    expect(await c.connect()).toBe(false)
    expect(challenges).toEqual([
      {
        method: METHOD,
        data: Uint8Array.of(1, 2),
        reasonCode: 0x18,
        properties: { authenticationMethod: METHOD, authenticationData: Uint8Array.of(1, 2) },
      },
    ])
    // f0, Remaining Length 15, reason 0x18, property length 13: Authentication Method, then Authentication Data.
    const expected = whole(0xf0, '18', props(cat('15', str(METHOD)), '16 00 02 03 04'))
    expect(byteDifference(clientAuth as Uint8Array, expected)).toBeUndefined()
    expect(expected).toEqual(hex('f0 0f 18 0d 15 00 05 53 43 52 41 4d 16 00 02 03 04'))
    expect(c.isConnected).toBe(true)
  })

  test('several rounds, onAuth answering with a promise: each challenge in turn', async () => {
    const answers: Uint8Array[] = []
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      for (const round of [[1], [2], [3]]) {
        conn.send(challenge(round))
        const auth = await conn.next('auth')
        expect(auth.properties?.authenticationMethod).toBe(METHOD)
        answers.push(auth.properties?.authenticationData as Uint8Array)
      }
      conn.send(success)
    }
    const c = authClient(async (ch) => Uint8Array.of(10 + ((ch as { data: Uint8Array }).data[0] as number)))
    await c.connect()
    expect(challenges.map((ch) => Array.from((ch as { data: Uint8Array }).data))).toEqual([[1], [2], [3]])
    expect(answers.map((a) => Array.from(a))).toEqual([[11], [12], [13]])
  })

  test('the broker refuses after the exchange: CONNACK 0x87 → ECONAUTH, socket closed', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send(challenge([1]))
      await conn.next('auth')
      conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'bad proof' } })
    }
    const error = await failedConnect(authClient(() => Uint8Array.of(0)))
    expect(error).toMatchObject({ code: 'ECONAUTH', reasonCode: 0x87, reasonString: 'bad proof' })
  })

  test('the broker does not know the method: CONNACK 0x8C → EBADAUTHMETHOD, socket closed', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0x8c })
    }
    const error = await failedConnect(authClient(() => Uint8Array.of(0)))
    expect(error).toMatchObject({ code: 'EBADAUTHMETHOD', reasonCode: 0x8c })
    expect(challenges).toEqual([])
  })

  test('onAuth throwing rejects connect() and closes the socket', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send(challenge([1]))
    }
    const c = authClient(() => {
      throw new Error('no credentials here')
    })
    const error = await thrown(() => c.connect())
    expect(error).toBeInstanceOf(Error)
    expect(String((error as Error).message) + String((error as Error).cause)).toContain('no credentials here')
    const conn = await broker.connection()
    await withDeadline(conn.closed, 2000, 'the client to close its socket')
    expect(conn.log.filter((p) => p.type === 'auth')).toEqual([])
  })

  test('a failing onAuth: any DISCONNECT the client sends carries a code a client may send (not 0x87, a server’s) [MQTT-3.14.2-1]', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send(challenge([1]))
    }
    const c = authClient(() => {
      throw new Error('no credentials here')
    })
    await failedConnect(c)
    // MQTT 5.0 §3.14.2.1, table 3-10: the reason codes whose "Sent by" includes the Client.
    const CLIENT_MAY_SEND = [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99]
    const sent = (broker.connections[0] as FakeConnection<5>).log.filter((p) => p.type === 'disconnect').map((p) => p.reasonCode ?? 0)
    for (const code of sent) expect(CLIENT_MAY_SEND, `DISCONNECT 0x${code.toString(16)}`).toContain(code)
  })

  test('onAuth rejecting (async) rejects connect() and closes the socket', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send(challenge([1]))
    }
    await failedConnect(authClient(async () => Promise.reject(new Error('later, no'))))
  })

  test('an AUTH with another method than the CONNECT’s is a protocol error (0x82) [MQTT-4.12.0-5]', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send({ type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'OTHER' } })
    }
    const error = await failedConnect(authClient(() => Uint8Array.of(0)))
    expect(error.reasonCode).toBe(0x82)
    expect(challenges).toEqual([])
  })

  test('a successful CONNACK with another Authentication Method than the CONNECT’s is a protocol error (0x82) [MQTT-4.12.0-5]', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0, properties: { authenticationMethod: 'OTHER' } })
    }
    const error = await failedConnect(authClient(() => Uint8Array.of(0)))
    expect(error.reasonCode).toBe(0x82)
  })

  test('an AUTH when CONNECT had no Authentication Method: connect() rejects, DISCONNECT 0x82 [MQTT-4.12.0-6]', async () => {
    let conn: FakeConnection<5> | undefined
    broker.onConnection = async (c) => {
      conn = c
      await c.next('connect')
      c.send(challenge([1]))
    }
    client = new MqttClient({ clientId: 'c1', server: broker.url, protocolVersion: 5, socketTimeoutMs: 2000 } as ClientOptions)
    const error = await failedConnect(client)
    expect(error.reasonCode).toBe(0x82)
    expect(error.message).toContain('MQTT-4.12.0-6')
    expect(conn?.log.find((p) => p.type === 'disconnect')).toMatchObject({ reasonCode: 0x82 })
  })

  test('an AUTH challenge without onAuth ends connect() (no hang)', async () => {
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send(challenge([1]))
    }
    client = new MqttClient({
      clientId: 'c1',
      server: broker.url,
      protocolVersion: 5,
      socketTimeoutMs: 2000,
      properties: { authenticationMethod: METHOD },
    } as ClientOptions)
    await failedConnect(client)
  })
})
