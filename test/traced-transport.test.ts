/**
 * The debug channel, tracedTransport(), on a real conversation with aedes and mosquitto: every
 * packet both ways as one line, in order, with the link's opening and closing; a password never
 * appears; a client that does not trace is unchanged. And through @x/robust, across a reconnect.
 */
import { describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { MqttClient, SDELIVERED, defaultTransport, tracedTransport } from '@x/simple'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import { uid } from './support/test-clients.js'
import { waitFor } from './support/wait.js'

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)

  test('every packet both ways, in order; the password is not shown', async () => {
    const lines: string[] = []
    const topic = uid('traced/t')
    const clientId = uid('traced')
    const client = new MqttClient({
      clientId,
      server: fixture.broker.url,
      keepaliveSec: 30,
      transport: tracedTransport(defaultTransport, (line) => lines.push(line)),
    })
    client.setLastWill(`${topic}/will`, 'gone', { qos: 1 })
    const statuses = new Map<number, number>()
    client.setCallbackStatus((pid, status) => statuses.set(pid, status))
    const got: string[] = []
    client.setCallback((t, payload) => got.push(`${t} ${payload.toString()}`))
    let sub = 0
    let p1 = 0
    let p2 = 0
    try {
      await client.connect()
      sub = await client.subscribe(topic, { qos: 2 })
      p1 = (await client.publish(topic, 'one', { qos: 1 })) as number
      p2 = (await client.publish(topic, 'two!', { qos: 2 })) as number
      const deadline = Date.now() + 5000
      while ((got.length < 2 || statuses.get(p2) !== SDELIVERED) && Date.now() < deadline) await client.waitMsg(100)
      expect(statuses.get(sub)).toBe(SDELIVERED)
      expect(statuses.get(p1)).toBe(SDELIVERED)
      // Order is kept within one QoS only [MQTT-4.6.0-6]: aedes may deliver the QoS 2 one first.
      expect(got.sort()).toEqual([`${topic} one`, `${topic} two!`])
    } finally {
      await client.disconnect()
    }
    const url = new URL(fixture.broker.url)
    const where = fixture.broker.websocket ? fixture.broker.url : `${url.hostname}:${url.port}`
    expect(lines.slice(0, 4)).toEqual([
      `connecting to ${where} over ${fixture.broker.websocket ? 'WebSocket' : 'TCP'}`,
      `connected to ${where}`,
      `sending CONNECT (id "${clientId}", clean session, keepalive 30 s, will "${topic}/will" q1 r0 4 bytes)`,
      'received CONNACK (session present 0, 0: accepted)',
    ])
    // The order of what crosses the wire is the broker's to choose; each line is there once.
    expect(lines).toEqual(
      expect.arrayContaining([
        `sending SUBSCRIBE (m${sub}, "${topic}" q2)`,
        `received SUBACK (m${sub}, granted q2)`,
        `sending PUBLISH (d0, q1, r0, m${p1}, "${topic}", 3 bytes)`,
        `received PUBACK (m${p1})`,
        `sending PUBLISH (d0, q2, r0, m${p2}, "${topic}", 4 bytes)`,
        `received PUBREC (m${p2})`,
        `sending PUBREL (m${p2})`,
        `received PUBCOMP (m${p2})`,
        expect.stringMatching(new RegExp(`^received PUBLISH \\(d0, q1, r0, m\\d+, "${topic}", 3 bytes\\)$`)),
        expect.stringMatching(new RegExp(`^received PUBLISH \\(d0, q2, r0, m\\d+, "${topic}", 4 bytes\\)$`)),
      ]),
    )
    // DISCONNECT is the last packet sent, and then the link is ended (a late PUBREL may still arrive).
    const last = lines.indexOf('sending DISCONNECT')
    expect(lines.slice(last + 1).filter((l) => !l.startsWith('received '))).toEqual(['closing the connection'])
  })

  test('a password is traced as "with password", never its text', async () => {
    const lines: string[] = []
    const client = new MqttClient({
      clientId: uid('traced-pw'),
      server: fixture.broker.url,
      user: 'someone',
      password: 'hunter2-secret',
      transport: tracedTransport(defaultTransport, (line) => lines.push(line)),
    })
    // Either broker may accept or refuse the login: the trace is what is checked.
    await client.connect().catch(() => undefined)
    await client.disconnect()
    expect(lines.find((l) => l.startsWith('sending CONNECT'))).toMatch(/user "someone" with password\)$/)
    expect(lines.join('\n')).not.toContain('hunter2')
  })

  test('through RobustClient: the lost link and the reconnection are traced too', async () => {
    const lines: string[] = []
    const proxy = await fixture.proxy()
    const client = new RobustClient({
      clientId: uid('traced-robust'),
      server: proxy.url,
      cleanSession: true,
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
      transport: tracedTransport(defaultTransport, (line) => lines.push(line)),
    })
    try {
      await client.connect()
      proxy.cut()
      await waitFor(() => lines.filter((l) => l.startsWith('received CONNACK')).length >= 2, 'a second CONNACK', 10_000)
      expect(lines.some((l) => l.startsWith('connection lost: '))).toBe(true)
      expect(lines.filter((l) => l.startsWith('sending CONNECT')).length).toBeGreaterThanOrEqual(2)
    } finally {
      await client.close()
    }
  })
})
