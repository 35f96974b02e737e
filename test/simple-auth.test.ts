/**
 * User name and password against real brokers: refused credentials surface as 20 + the CONNACK
 * return code, and the right ones connect.
 *
 * The two brokers refuse differently, and each is asserted as it really answers:
 * - aedes (examples/lib/embedded-broker.ts) answers CONNACK 4, "bad user name or password",
 *   so errno 24 ECONCREDENTIALS.
 * - mosquitto 2.0 answers MQTT 3.1.1 clients CONNACK 5, "not authorised", for every refusal on a
 *   `password_file` listener with `allow_anonymous false` (wrong password, unknown user, no
 *   credentials, user without password), so errno 25 ECONAUTH. It never sends 4 there.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SDELIVERED, SREFUSED, type ClientOptions } from '@x/simple'
import { TCP_BROKERS, type TcpBrokerName } from './support/brokers.js'
import { FORBIDDEN, secureTestFile, startSecureBroker, type SecureBroker } from './support/secure-brokers.js'
import { pump, uid } from './support/test-clients.js'

/** How each broker refuses credentials (see the file header). */
const REFUSAL: Record<TcpBrokerName, { returnCode: number; errno: number; code: string }> = {
  aedes: { returnCode: 4, errno: 24, code: 'ECONCREDENTIALS' },
  mosquitto: { returnCode: 5, errno: 25, code: 'ECONAUTH' },
}

const { certs, pool } = secureTestFile()

describe.each(TCP_BROKERS)('%s', (name) => {
  let broker: SecureBroker
  let user: string
  let password: string

  beforeAll(async () => {
    broker = await startSecureBroker(name, certs)
    const [first] = Object.entries(broker.users)
    if (!first) throw new Error('the broker has no users')
    ;[user, password] = first
  })
  afterAll(async () => {
    await pool.closeAll()
    await broker?.stop()
  })

  const client = (options: Partial<ClientOptions>) =>
    pool.make({ clientId: uid('auth'), server: `mqtt://127.0.0.1:${broker.passwordPort}`, ...options })

  test.each([
    ['a wrong password', () => ({ user, password: `${password}-wrong` })],
    ['an unknown user', () => ({ user: 'mallory', password })],
    ['no credentials', () => ({})],
  ])('%s is refused with the broker’s CONNACK code, then the client is simply not connected', async (_what, credentials) => {
    const r = client(credentials())
    await expect(r.client.connect()).rejects.toMatchObject({ name: 'MqttError', operation: 'connect', ...REFUSAL[name] })
    expect(r.client.isConnected).toBe(false)
    // The refusal was reported by connect(); later calls only say "not connected".
    expect(() => r.client.checkMsg()).toThrow(expect.objectContaining({ errno: 28, code: 'ECONNOT' }))
  })

  test('the right user and password connect, and the client works', async () => {
    const r = client({ user, password })
    expect(await r.client.connect()).toBe(false)
    const pid = await r.client.publish(uid('authorised'), 'in', { qos: 1 })
    await pump(r, () => r.statusOf(pid) === SDELIVERED, 'PUBACK')
  })

  // Only where the broker can refuse one (see SecureBroker.refusesSubscriptions): aedes.
  test('a subscription the broker refuses (SUBACK 0x80) gives SREFUSED (3); an allowed one SDELIVERED', async ({ skip }) => {
    if (!broker.refusesSubscriptions) skip('this broker grants every subscription')
    const r = client({ user, password })
    await r.client.connect()
    const refused = await r.client.subscribe(`${FORBIDDEN}/${uid('x')}`, { qos: 1 })
    const allowed = await r.client.subscribe(uid('allowed'), { qos: 1 })
    await pump(r, () => r.statusOf(refused) !== undefined && r.statusOf(allowed) !== undefined, 'both SUBACKs')
    expect(r.statusOf(refused)).toBe(SREFUSED)
    expect(r.statusOf(allowed)).toBe(SDELIVERED)
    expect(r.client.isConnected).toBe(true)
  })

  test('credentials in the URL work too', async () => {
    const r = client({ server: `mqtt://${user}:${encodeURIComponent(password)}@127.0.0.1:${broker.passwordPort}` })
    expect(await r.client.connect()).toBe(false)
  })
})
