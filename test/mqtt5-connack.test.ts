/**
 * client.connack on MQTT 5 holds mosquitto 2.0.11's CONNACK as it came (defaults: Topic Alias
 * Maximum 10, Receive Maximum 20 = max_inflight_messages, Server Keep Alive 65535 when the client
 * asked for none, nothing else: retain, wildcards, shared subscriptions and subscription
 * identifiers are available, which a broker says by leaving those properties out), compared
 * with the CONNACK a decoding proxy saw on the wire; and connecting with clientId '' makes the
 * Assigned Client Identifier client.clientId.
 */
import { describe, expect, test } from 'vitest'
import { type ConnackProperties } from '@x/simple'
import { useMosquitto5 } from './support/mqtt5-clients.js'
import { pump, uid } from './support/test-clients.js'

interface Connack {
  sessionPresent: boolean
  reasonCode: number
  properties?: ConnackProperties
}

const connackOf = (client: unknown): Connack | undefined => (client as { connack?: Connack }).connack

const fixture = useMosquitto5({ wire: true })

describe('client.connack and the Assigned Client Identifier from mosquitto 2.0.11', () => {
  test('client.connack is undefined before connect() and then holds the CONNACK as received', async () => {
    const client = fixture.pool.make({ clientId: uid('connack'), server: fixture.wire.url })
    expect(connackOf(client.client)).toBeUndefined()
    const before = fixture.wire.received('connack').length
    expect(await client.client.connect()).toBe(false)
    const onWire = fixture.wire.received('connack')[before]
    expect(onWire).toBeDefined()
    expect(connackOf(client.client)).toMatchObject({ sessionPresent: false, reasonCode: 0 })
    expect(connackOf(client.client)?.properties).toEqual(onWire?.properties)
    expect(connackOf(client.client)?.properties).toEqual({ topicAliasMaximum: 10, serverKeepAlive: 65535, receiveMaximum: 20 })
  })

  test('a resumed session: connack.sessionPresent true', async () => {
    const clientId = uid('connack-session')
    const first = fixture.pool.make({ clientId, server: fixture.mosquitto.urls.plain, properties: { sessionExpiryInterval: 60 } })
    await first.client.connect({ cleanSession: false })
    await first.client.disconnect()
    const again = fixture.pool.make({ clientId, server: fixture.mosquitto.urls.plain })
    expect(await again.client.connect({ cleanSession: false })).toBe(true)
    expect(connackOf(again.client)).toMatchObject({ sessionPresent: true, reasonCode: 0 })
  })

  test("clientId '': the broker's Assigned Client Identifier becomes client.clientId, and it is the id the broker knows", async () => {
    const client = fixture.pool.make({ clientId: '', server: fixture.wire.url })
    await client.client.connect()
    const assigned = connackOf(client.client)?.properties?.assignedClientIdentifier
    expect(assigned).toMatch(/^auto-[0-9A-F-]+$/)
    expect((client.client as unknown as { clientId: string }).clientId).toBe(assigned)
    expect(fixture.wire.received('connack').at(-1)?.properties?.assignedClientIdentifier).toBe(assigned)
    // It works as an id: the broker's log names this client by it when it subscribes.
    const pid = await client.client.subscribe(uid('assigned'), { qos: 0 })
    await pump(client, () => client.statusOf(pid) !== undefined, 'SUBACK')
    expect(fixture.mosquitto.log()).toContain(`as ${assigned}`)
  })
})
