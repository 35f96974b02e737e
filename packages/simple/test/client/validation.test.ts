/**
 * Bad input is refused with an error naming what was wrong and the rule, before a byte is sent,
 * and the connection stays usable.
 */
import { describe, expect, test } from 'vitest'
import { MqttClient, type ClientOptions } from '@x/simple'
import { recordingClient } from '../support/recording-client.js'

async function online() {
  const rec = recordingClient()
  await rec.client.connect()
  return { ...rec, conn: rec.broker.last }
}

const long = 'a'.repeat(65_536)

describe('arguments', () => {
  test.each<[string, (c: MqttClient) => Promise<unknown>, string, string]>([
    ['an empty topic', (c) => c.publish('', 'x'), 'ETOPIC', '[MQTT-4.7.3-1]'],
    ['a + in a topic name', (c) => c.publish('a/+/b', 'x'), 'ETOPIC', '[MQTT-3.3.2-2]'],
    ['a # in a topic name', (c) => c.publish('a/#', 'x'), 'ETOPIC', '[MQTT-3.3.2-2]'],
    ['U+0000 in a topic', (c) => c.publish('a\u0000b', 'x'), 'ETOPIC', '[MQTT-4.7.3-2]'],
    ['a lone surrogate in a topic', (c) => c.publish('a\ud800', 'x'), 'ETOPIC', 'UTF-8'],
    ['a topic over 65535 UTF-8 bytes', (c) => c.publish(long, 'x'), 'ETOPIC', '[MQTT-4.7.3-3]'],
    ['a topic that is not a string', (c) => c.publish(42 as never, 'x'), 'ETOPIC', 'not a string'],
    ['QoS 3', (c) => c.publish('t', 'x', { qos: 3 as never }), 'EQOS', '[MQTT-3.3.1-4]'],
    ['QoS "1"', (c) => c.subscribe('t', { qos: '1' as never }), 'EQOS', 'not 0, 1 or 2'],
    ['a payload that is a number', (c) => c.publish('t', 5 as never), 'EPAYLOAD', 'the payload is a number; send a string'],
    ['# not last in a filter', (c) => c.subscribe('a/#/b'), 'EFILTER', '[MQTT-4.7.1-2]'],
    ['+ sharing a level', (c) => c.subscribe('a/b+'), 'EFILTER', '[MQTT-4.7.1-3]'],
    ['an empty filter', (c) => c.subscribe(''), 'EFILTER', '[MQTT-4.7.3-1]'],
    ['a $share filter without a group', (c) => c.subscribe('$share//t'), 'EFILTER', '$share'],
    ['a $share filter without a filter', (c) => c.unsubscribe('$share/g/'), 'EFILTER', '$share'],
  ])('%s', async (_name, call, code, rule) => {
    const { client, conn } = await online()
    const written = conn.writes.length
    const error = await call(client).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code, message: expect.stringContaining(rule) })
    expect(conn.writes.length).toBe(written)
    expect(client.isConnected).toBe(true)
    await client.disconnect()
  })

  test('valid edge cases go through: $SYS and $share filters, a 65535-byte topic, empty and binary payloads', async () => {
    const { client, conn } = await online()
    await client.subscribe('$SYS/broker/#')
    await client.subscribe('$share/group/sensors/+')
    await client.subscribe('+')
    await client.subscribe('#')
    await client.publish('a'.repeat(65_535), '')
    await client.publish('t', new Uint8Array([0, 255, 0]))
    expect(conn.sent('subscribe').map((s) => s.subscriptions[0]?.filter)).toEqual(['$SYS/broker/#', '$share/group/sensors/+', '+', '#'])
    expect(conn.sent('publish').map((p) => p.payload.length)).toEqual([0, 3])
    await client.disconnect()
  })

  test('setLastWill() checks its topic and QoS at once', () => {
    const { client } = recordingClient()
    expect(() => client.setLastWill('a/#', 'x')).toThrow(expect.objectContaining({ code: 'ETOPIC' }))
    expect(() => client.setLastWill('a', 'x', { qos: 5 as never })).toThrow(expect.objectContaining({ code: 'EQOS' }))
  })

  test('a packet over 268,435,455 bytes is refused before it is built', async () => {
    const { client, conn } = await online()
    const huge = new Uint8Array(268_435_455)
    await expect(client.publish('t', huge)).rejects.toMatchObject({ code: 'ETOOLARGE', message: expect.stringContaining('[MQTT-2.2.3]') })
    expect(conn.sent('publish')).toHaveLength(0)
    await client.disconnect()
  })
})

describe('options', () => {
  const base: ClientOptions = { clientId: 'c', server: '127.0.0.1' }
  test.each<[string, Partial<ClientOptions>, string, string]>([
    ['no server', { server: '' }, 'EOPTION', 'server'],
    ['an http URL', { server: 'http://host' }, 'EOPTION', 'mqtt:'],
    ['port 0', { port: 0 }, 'EOPTION', 'port'],
    ['port 65536', { port: 65_536 }, 'EOPTION', 'port'],
    ['keepalive 1.5', { keepaliveSec: 1.5 }, 'EOPTION', 'keepaliveSec'],
    ['keepalive over 65535', { keepaliveSec: 65_536 }, 'EOPTION', 'keepaliveSec'],
    ['socketTimeoutMs 0', { socketTimeoutMs: 0 }, 'EOPTION', 'socketTimeoutMs'],
    ['messageTimeoutMs -1', { messageTimeoutMs: -1 }, 'EOPTION', 'messageTimeoutMs'],
    ['a password without a user', { password: 'p' }, 'EOPTION', '[MQTT-3.1.2-22]'],
    // Said at once, naming the option (it used to fail at connect() as "the payload is a function"), and never showing the value.
    [
      'a password that is a function',
      { user: 'u', password: (() => 'secret') as never },
      'EOPTION',
      'password: a function is not a string or a Uint8Array',
    ],
    ['a password that is a number', { user: 'u', password: 1234 as never }, 'EOPTION', 'password: a number is not'],
    ['a client id that is not a string', { clientId: 7 as never }, 'ECLIENTID', 'clientId'],
    ['a URL with no host', { server: 'mqtt://' }, 'EOPTION', 'mqtt:// is not a URL with a host'],
    [
      'a URL with a user and password and no host',
      { server: 'mqtt://alice:pw@:1883' },
      'EOPTION',
      'mqtt://alice:***@:1883 is not a URL with a host',
    ],
    ['a URL with port 0', { server: 'mqtt://host:0' }, 'EOPTION', 'port: 0'],
    ['a URL with a port past 65535', { server: 'mqtt://host:65536' }, 'EOPTION', 'port: 65536 is not a whole number from 1 to 65535'],
    ['a URL with a port that is not a number', { server: 'mqtt://host:x1' }, 'EOPTION', 'mqtt://host:x1 is not a URL'],
    [
      'a wrong scheme, with a password',
      { server: 'http://al:pw@host/x' },
      'EOPTION',
      'http://al:***@host/x is not a URL with a host and one of mqtt:',
    ],
    ['a malformed percent-escape in the user name', { server: 'mqtt://al%zzice@host' }, 'EOPTION', 'percent-escape'],
    [
      'a malformed percent-escape in the password',
      { server: 'mqtt://alice:%E0%A4%A@host' },
      'EOPTION',
      'password in mqtt://alice:***@host',
    ],
  ])('%s is refused by the constructor', (_name, options, code, mentions) => {
    expect(() => new MqttClient({ ...base, ...options })).toThrow(
      expect.objectContaining({ code, message: expect.stringContaining(mentions) }),
    )
  })
})
