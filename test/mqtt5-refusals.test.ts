/**
 * MQTT 5 refusals from mosquitto 2.0.11 reach the status callback with their reason code. Tests
 * about access control, so the broker runs with one (otherwise on its defaults): an ACL file can
 * refuse a PUBLISH, but mosquitto 2.0.11's ACL file never refuses a SUBSCRIBE (its check returns
 * success for every subscription: "FIXME - implement ACL subscription strings"), so the refused
 * subscription comes from the dynamic security plugin that ships in the same Debian package.
 */
import { afterEach, describe, expect, test } from 'vitest'
import { SDELIVERED, SREFUSED } from '@x/simple'
import { startMosquitto, type Mosquitto } from './support/mosquitto.js'
import { Pool5, pumpFor } from './support/mqtt5-clients.js'
import { startWireProxy, type WireProxy } from './support/mqtt5-wire-proxy.js'
import { pump, uid } from './support/test-clients.js'

const NOT_AUTHORIZED = 0x87
const NO_MATCHING_SUBSCRIBERS = 0x10

const pool = new Pool5()
let mosquitto: Mosquitto | undefined
let wire: WireProxy | undefined
afterEach(async () => {
  await pool.closeAll()
  await wire?.close()
  await mosquitto?.stop()
  wire = mosquitto = undefined
})

describe('MQTT 5 reason codes of refusals, from mosquitto 2.0.11', () => {
  test('a subscription the broker denies: SUBACK 0x87 is SREFUSED with code 0x87; the one allowed beside it is SDELIVERED with its granted QoS', async () => {
    mosquitto = await startMosquitto({
      dynamicSecurity: {
        defaultACLAccess: { publishClientSend: true, publishClientReceive: true, subscribe: true, unsubscribe: true },
        clients: [],
        groups: [{ groupname: 'anonymous', roles: [{ rolename: 'limited' }] }],
        roles: [{ rolename: 'limited', acls: [{ acltype: 'subscribePattern', topic: 'secret/#', priority: 0, allow: false }] }],
        anonymousGroup: 'anonymous',
      },
    })
    const base = uid('refusals')
    const client = pool.make({ clientId: uid('sub'), server: mosquitto.urls.plain })
    await client.client.connect()
    const refused = await client.client.subscribe('secret/#', { qos: 1 })
    const allowed = await client.client.subscribe(`${base}/#`, { qos: 2 })
    await pump(client, () => client.statusOf(refused) !== undefined && client.statusOf(allowed) !== undefined, 'both SUBACKs')
    expect(client.statusOf(refused)).toMatchObject({ status: SREFUSED, code: NOT_AUTHORIZED })
    expect(client.statusOf(allowed)).toMatchObject({ status: SDELIVERED, code: 2 })
    // The refusal is real: nothing published there reaches the client.
    const publisher = pool.make({ clientId: uid('pub'), server: mosquitto.urls.plain })
    await publisher.client.connect()
    await publisher.client.publish('secret/x', 'hidden', { qos: 1 })
    await publisher.client.publish(`${base}/x`, 'seen', { qos: 1 })
    await pump(client, () => client.messages.length >= 1, 'the allowed message')
    await pumpFor(client, 200)
    expect(client.messages.map((m) => m.topic)).toEqual([`${base}/x`])
  })

  test('a QoS 1 publish the ACL file denies: PUBACK 0x87 is SREFUSED with code 0x87; at QoS 2 PUBREC 0x87 is SREFUSED and ends the exchange (no PUBREL)', async () => {
    mosquitto = await startMosquitto({ acl: 'topic readwrite open/#\ntopic read readonly/#\n' })
    wire = await startWireProxy(mosquitto.ports.plain)
    const client = pool.make({ clientId: uid('pub'), server: wire.url })
    await client.client.connect()
    const denied1 = await client.client.publish('readonly/x', 'no', { qos: 1 })
    const denied2 = await client.client.publish('readonly/y', 'no', { qos: 2 })
    // Allowed, but nobody listens: mosquitto says so on MQTT 5 with 0x10, a success.
    const allowed = await client.client.publish(`open/${uid('nobody')}`, 'yes', { qos: 1 })
    const pids = [denied1, denied2, allowed]
    await pump(client, () => pids.every((pid) => client.statusOf(pid) !== undefined), 'three statuses')
    // What the wire said, and what the client made of it.
    expect(wire.received('puback').find((p) => p.pid === denied1)?.reasonCode).toBe(NOT_AUTHORIZED)
    expect(wire.received('pubrec').find((p) => p.pid === denied2)?.reasonCode).toBe(NOT_AUTHORIZED)
    expect(wire.received('puback').find((p) => p.pid === allowed)?.reasonCode).toBe(NO_MATCHING_SUBSCRIBERS)
    expect(client.statusOf(denied1)).toMatchObject({ status: SREFUSED, code: NOT_AUTHORIZED })
    expect(client.statusOf(denied2)).toMatchObject({ status: SREFUSED, code: NOT_AUTHORIZED })
    expect(client.statusOf(allowed)).toMatchObject({ status: SDELIVERED, code: NO_MATCHING_SUBSCRIBERS })
    await pumpFor(client, 200)
    expect(wire.sent('pubrel')).toEqual([])
    // One final status per pid.
    expect(client.statuses.map((s) => s.pid).sort()).toEqual([...pids].sort())
    expect(client.client.isConnected).toBe(true)
  })
})
