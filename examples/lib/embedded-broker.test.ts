import { afterAll, expect, test } from 'vitest'
import { MqttClient } from '@x/simple'
import { makeCerts } from './certs.js'
import { startEmbeddedBroker } from './embedded-broker.js'

const certs = makeCerts()
afterAll(() => certs.remove())

test('the embedded broker serves TLS with a certificate made for the run, and checks passwords', async () => {
  const embedded = await startEmbeddedBroker({ tls: certs.server, users: { emqx: 'public' } })
  try {
    const ok = new MqttClient({ clientId: 'tls', server: embedded.url, user: 'emqx', password: 'public', tls: { ca: certs.ca } })
    expect(await ok.connect()).toBe(false)
    await ok.disconnect()
    const bad = new MqttClient({ clientId: 'tls2', server: embedded.url, user: 'emqx', password: 'nope', tls: { ca: certs.ca } })
    await expect(bad.connect()).rejects.toMatchObject({ errno: 24, returnCode: 4 })
    const untrusted = new MqttClient({ clientId: 'tls3', server: embedded.url, user: 'emqx', password: 'public', tls: true })
    await expect(untrusted.connect()).rejects.toMatchObject({ code: 'ECERT' })
  } finally {
    await embedded.close()
  }
})
