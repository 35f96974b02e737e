/**
 * @x/robust with a password that expires (contract §7, a JWT or SAS token), against the mosquitto
 * daemon's `password` listener (`password_file`, `allow_anonymous false`: a test about that
 * setting). The password it accepts changes at each restart, as a token service's would; the
 * client's `password` is an async function returning the current token, called before every
 * connection attempt, so it reconnects with the new one. A client holding the first password as a
 * plain value is refused after the first change (mosquitto answers CONNACK 5 to 3.1.1 clients:
 * ECONAUTH), which shows the broker really changed what it accepts.
 */
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { RobustClient, isMqttError, type MqttError } from '@x/robust'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor, withDeadline } from './support/wait.js'

const USER = 'device-7'
let mosquitto: Mosquitto

beforeAll(async () => {
  mosquitto = await startMosquitto({ users: { [USER]: 'token-1' } })
})
afterAll(async () => {
  await mosquitto?.stop()
})

test('a broker whose password changes at each restart: the client reconnects with the token current at each attempt', async () => {
  /** The token service: what the broker accepts from the next restart on. */
  let current = 'token-1'
  const password = vi.fn(async () => {
    await sleep(1) // a real round trip to a token service
    return current
  })
  const topic = uid('tokens')
  const client = new RobustClient({
    clientId: uid('tokens'),
    server: mosquitto.urls.password,
    user: USER,
    password,
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
  })
  const stale = new RobustClient({
    clientId: uid('stale'),
    server: mosquitto.urls.password,
    user: USER,
    password: 'token-1',
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
  })
  let connects = 0
  let attempts = 1
  const errors: MqttError[] = []
  const staleErrors: MqttError[] = []
  const received: string[] = []
  client.on('connect', () => connects++)
  client.on('reconnecting', () => attempts++)
  client.on('error', (error) => errors.push(error as MqttError))
  client.on('message', (_topic, payload) => received.push(new TextDecoder().decode(payload)))
  stale.on('error', (error) => staleErrors.push(error as MqttError))
  try {
    await withDeadline(Promise.all([client.connect(), stale.connect()]), 5000, 'both clients to connect with token-1')
    await client.subscribe(topic, { qos: 1 })
    await client.publish(topic, 'with token-1', { qos: 1 })

    for (const token of ['token-2', 'token-3']) {
      const before = connects
      current = token
      await mosquitto.restart({ users: { [USER]: token } })
      await waitFor(() => connects === before + 1, `the client to reconnect with ${token}`, 10_000)
      // A working session: the subscription is renewed (no session kept) and a QoS 1 message goes round.
      await withDeadline(client.publish(topic, `with ${token}`, { qos: 1 }), 5000, `a message sent with ${token}`)
    }
    await waitFor(() => received.length === 3, 'the three messages back on the renewed subscription', 5000)
    expect(received).toEqual(['with token-1', 'with token-2', 'with token-3'])
    // Called once per attempt, never at any other time, and never refused: each attempt had the current token.
    expect(password).toHaveBeenCalledTimes(attempts)
    expect(errors).toEqual([])

    // The plain password of the first start is refused from the first change on: the broker did change.
    await waitFor(() => staleErrors.some((e) => isMqttError(e) && e.code === 'ECONAUTH'), 'the stale client to be refused', 10_000)
    expect(stale.isConnected).toBe(false)
  } finally {
    await Promise.all([client.close(), stale.close()])
  }
}, 40_000)
