/** connect(): the CONNECT it sends, and every way the broker (or the network) can refuse it. */
import { afterEach, describe, expect, test, vi } from 'vitest'
import { MqttError, MqttClient } from '@x/simple'
import { recordingClient, thrown } from '../support/recording-client.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('the CONNECT packet', () => {
  test('carries client id, clean session, keepalive, credentials and the will', async () => {
    const { broker, client } = recordingClient({ clientId: 'dev-1', keepaliveSec: 30, user: 'u', password: 'p' })
    client.setLastWill('dev/status', 'gone', { qos: 1, retain: true })
    await client.connect()
    const [connect] = broker.last.sent('connect')
    expect(connect).toMatchObject({ clientId: 'dev-1', cleanSession: true, keepaliveSec: 30, username: 'u' })
    expect(new TextDecoder().decode(connect?.password)).toBe('p')
    expect(connect?.will).toMatchObject({ topic: 'dev/status', qos: 1, retain: true })
    expect(new TextDecoder().decode(connect?.will?.payload)).toBe('gone')
    expect(client.isConnected).toBe(true)
    await client.disconnect()
  })

  test('clearLastWill() removes the will; cleanSession false is sent as such', async () => {
    const { broker, client } = recordingClient()
    client.setLastWill('w', 'x')
    client.clearLastWill()
    await client.connect({ cleanSession: false })
    expect(broker.last.sent('connect')[0]).toMatchObject({ cleanSession: false })
    expect(broker.last.sent('connect')[0]?.will).toBeUndefined()
    await client.disconnect()
  })

  test('user and password come from the URL', async () => {
    const { broker, client } = recordingClient({ server: 'mqtt://alice:s%40cret@memory:1884' })
    await client.connect()
    const [connect] = broker.last.sent('connect')
    expect(connect?.username).toBe('alice')
    expect(new TextDecoder().decode(connect?.password)).toBe('s@cret')
    await client.disconnect()
  })

  test('an empty client id needs a clean session: ECLIENTID before any connection is opened', async () => {
    const { broker, client } = recordingClient({ clientId: '' })
    const error = await thrown(() => client.connect({ cleanSession: false }))
    expect(error).toMatchObject({ code: 'ECLIENTID', errno: 63 })
    expect((error as Error).message).toContain('[MQTT-3.1.3-7]')
    expect(broker.connections).toHaveLength(0)
    await client.connect()
    expect(broker.last.sent('connect')[0]?.clientId).toBe('')
    await client.disconnect()
  })
})

describe('refusals', () => {
  test.each([
    [1, 'ECONPROTOCOL', 21],
    [2, 'ECONREJECT', 22],
    [3, 'ECONUNAVAILABLE', 23],
    [4, 'ECONCREDENTIALS', 24],
    [5, 'ECONAUTH', 25],
    [6, 'ECONUNKNOWN', 20],
    [255, 'ECONUNKNOWN', 20],
  ])('CONNACK return code %i is %s (%i), the link is closed and the client offline', async (returnCode, code, errno) => {
    const { broker, client } = recordingClient()
    broker.autoConnack = { sessionPresent: false, returnCode }
    const error = await thrown(() => client.connect())
    expect(error).toBeInstanceOf(MqttError)
    expect(error).toMatchObject({ code, errno, returnCode, operation: 'connect' })
    expect(broker.last.closed).toBe(true)
    expect(client.isConnected).toBe(false)
    // Reported once by connect(); later calls say "not connected".
    expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
  })

  test('a first packet that is not CONNACK is ECONLENGTH (29)', async () => {
    const { broker, client } = recordingClient()
    broker.autoConnack = undefined
    const connecting = client.connect()
    await vi.waitUntil(() => broker.connections.length === 1)
    broker.last.send({ type: 'pingresp' })
    await expect(connecting).rejects.toMatchObject({ code: 'ECONLENGTH', errno: 29 })
    expect(broker.last.closed).toBe(true)
  })

  test('session present after a clean-session CONNECT is ECONLENGTH [MQTT-3.2.2-1]', async () => {
    const { broker, client } = recordingClient()
    broker.autoConnack = { sessionPresent: true, returnCode: 0 }
    await expect(client.connect()).rejects.toMatchObject({ code: 'ECONLENGTH', message: expect.stringContaining('[MQTT-3.2.2-1]') })
    expect(broker.last.closed).toBe(true)
  })

  test('no CONNACK within socketTimeoutMs is ECONTIMEOUT (30), and the link is closed', async () => {
    vi.useFakeTimers()
    const { broker, client } = recordingClient({ socketTimeoutMs: 3000 })
    broker.autoConnack = undefined
    const connecting = client.connect()
    const outcome = expect(connecting).rejects.toMatchObject({ code: 'ECONTIMEOUT', errno: 30 })
    await vi.advanceTimersByTimeAsync(2999)
    expect(broker.last.closed).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await outcome
    expect(broker.last.closed).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a transport failure (refused, DNS, TLS) reaches the caller as it is', async () => {
    const { broker, client } = recordingClient()
    broker.refuse = new MqttError('ECONNREFUSED', 'Connection refused by memory:1883')
    await expect(client.connect()).rejects.toBe(broker.refuse)
    expect(client.isConnected).toBe(false)
    broker.refuse = undefined
    await client.connect()
    expect(client.isConnected).toBe(true)
    await client.disconnect()
  })
})

describe('connect() over a live connection, and aborts', () => {
  test('a second connect() sends DISCONNECT on the old link and closes it first', async () => {
    const { broker, client } = recordingClient()
    await client.connect()
    const first = broker.last
    await client.connect()
    expect(first.received.at(-1)?.type).toBe('disconnect')
    expect(first.closed).toBe(true)
    expect(broker.connections).toHaveLength(2)
    expect(client.isConnected).toBe(true)
    await client.disconnect()
  })

  test('disconnect() while waiting for CONNACK rejects that connect() with ECLOSED', async () => {
    const { broker, client } = recordingClient()
    broker.autoConnack = undefined
    const connecting = client.connect()
    await vi.waitUntil(() => broker.connections.length === 1)
    await client.disconnect()
    await expect(connecting).rejects.toMatchObject({ code: 'ECLOSED', errno: 80 })
    expect(broker.last.closed).toBe(true)
  })

  test('a CONNACK on an abandoned link is ignored by the new connection', async () => {
    const { broker, client } = recordingClient()
    broker.autoConnack = undefined
    const first = client.connect()
    await vi.waitUntil(() => broker.connections.length === 1)
    const abandoned = broker.last
    const second = client.connect()
    await expect(first).rejects.toMatchObject({ code: 'ECLOSED' })
    await vi.waitUntil(() => broker.connections.length === 2)
    expect(() => abandoned.send({ type: 'connack', sessionPresent: false, returnCode: 0 })).toThrow(/closed/)
    broker.last.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
    expect(await second).toBe(false)
    await client.disconnect()
  })

  test('connect({ signal }): aborting while waiting for CONNACK rejects with the reason at once and closes the link', async () => {
    const { broker, client } = recordingClient()
    broker.autoConnack = undefined
    const controller = new AbortController()
    const connecting = client.connect({ signal: controller.signal })
    await vi.waitUntil(() => broker.connections.length === 1)
    const reason = new MqttError('ECLOSED', 'the app is shutting down')
    controller.abort(reason)
    await expect(connecting).rejects.toBe(reason)
    expect(broker.last.closed).toBe(true)
    expect(client.isConnected).toBe(false)
    // An already aborted signal is refused before any connection is opened.
    await expect(client.connect({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    expect(broker.connections).toHaveLength(1)
  })

  test('a new client instance is not connected and refuses calls with ECONNOT (28)', async () => {
    const client = new MqttClient({ clientId: 'x', server: 'memory' })
    expect(client.isConnected).toBe(false)
    await expect(client.publish('t', 'x')).rejects.toMatchObject({ code: 'ECONNOT', errno: 28 })
    await expect(client.subscribe('t')).rejects.toMatchObject({ code: 'ECONNOT' })
    await expect(client.unsubscribe('t')).rejects.toMatchObject({ code: 'ECONNOT' })
    expect(() => client.ping()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
    expect(() => client.checkMsg()).toThrow(expect.objectContaining({ code: 'ECONNOT' }))
    await expect(client.waitMsg(10)).rejects.toMatchObject({ code: 'ECONNOT' })
    await client.disconnect() // idempotent, even before any connect()
  })
})
