/**
 * Time in MQTT 5 against mosquitto 2.0.11 on its defaults: a will with a Will Delay Interval is
 * published after the delay and not before; DISCONNECT 0x04 has the will published; a retained
 * message past its Message Expiry Interval is not given to a later subscriber, and one still
 * alive arrives with the interval decreased by the time it waited (MQTT-3.3.2-6).
 */
import { describe, expect, test } from 'vitest'
import { startFaultProxy } from './support/fault-proxy.js'
import { pumpFor, type Recorder5, useMosquitto5 } from './support/mqtt5-clients.js'
import { pump, uid } from './support/test-clients.js'
import { sleep } from './support/wait.js'

const fixture = useMosquitto5()

async function listener(filter: string): Promise<Recorder5> {
  const client = fixture.pool.make({ clientId: uid('will-watch'), server: fixture.mosquitto.urls.plain })
  await client.client.connect()
  const pid = await client.client.subscribe(filter, { qos: 1 })
  await pump(client, () => client.statusOf(pid) !== undefined, 'SUBACK')
  return client
}

describe('MQTT 5 wills and expiry against mosquitto 2.0.11', () => {
  test('willDelayInterval 3: after the link dies the will comes after the delay, not before', async () => {
    const topic = uid('will-delay')
    const watch = await listener(topic)
    const proxy = await startFaultProxy({ targetPort: fixture.mosquitto.ports.plain })
    try {
      const device = fixture.pool.make({
        clientId: uid('will-device'),
        server: proxy.url,
        // The will waits for the delay or the end of the session, whichever comes first.
        properties: { sessionExpiryInterval: 60 },
      })
      device.client.setLastWill(topic, 'gone', { qos: 1, properties: { willDelayInterval: 3, contentType: 'text/plain' } } as never)
      await device.client.connect()
      const cutAt = Date.now()
      expect(proxy.cut()).toBe(1)
      // mosquitto counts the delay in whole seconds: not before 2 s, surely by 6 s.
      await pumpFor(watch, 2000)
      expect(watch.messages).toEqual([])
      await pump(watch, () => watch.messages.length === 1, 'the delayed will', 6000)
      const after = Date.now() - cutAt
      expect(after).toBeGreaterThanOrEqual(2000)
      expect(watch.messages[0]).toMatchObject({ text: 'gone', topic })
      expect(watch.messages[0]?.properties?.contentType).toBe('text/plain')
    } finally {
      await proxy.close()
    }
  }, 20_000)

  test('disconnect({ reasonCode: 0x04 }) has the will published; a plain disconnect() does not', async () => {
    const topic = uid('will-04')
    const watch = await listener(`${topic}/#`)
    const quiet = fixture.pool.make({ clientId: uid('will-quiet'), server: fixture.mosquitto.urls.plain })
    quiet.client.setLastWill(`${topic}/quiet`, 'should not come', { qos: 1 })
    await quiet.client.connect()
    await quiet.client.disconnect()
    const loud = fixture.pool.make({ clientId: uid('will-loud'), server: fixture.mosquitto.urls.plain })
    loud.client.setLastWill(`${topic}/loud`, 'bye', { qos: 1 })
    await loud.client.connect()
    await (loud.client.disconnect as (options: { reasonCode: number }) => Promise<void>)({ reasonCode: 0x04 })
    await pump(watch, () => watch.messages.length >= 1, 'the will')
    await pumpFor(watch, 300)
    expect(watch.messages.map((m) => `${m.topic.slice(topic.length)} ${m.text}`)).toEqual(['/loud bye'])
  })

  test('a retained message past its messageExpiryInterval is not delivered to a later subscriber; one not expired carries the decreased interval', async () => {
    const base = uid('expiry')
    const publisher = fixture.pool.make({ clientId: uid('expiry-pub'), server: fixture.mosquitto.urls.plain })
    await publisher.client.connect()
    await publisher.client.publish(`${base}/short`, 'stale', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } } as never)
    await publisher.client.publish(`${base}/long`, 'fresh', { qos: 1, retain: true, properties: { messageExpiryInterval: 60 } } as never)
    await pump(publisher, () => publisher.statuses.length === 2, 'both PUBACKs')
    await sleep(2300)
    const late = await listener(`${base}/#`)
    await pump(late, () => late.messages.length >= 1, 'the retained message still alive')
    await pumpFor(late, 300)
    expect(late.messages.map((m) => m.text)).toEqual(['fresh'])
    expect(late.messages[0]?.retained).toBe(true)
    const left = late.messages[0]?.properties?.messageExpiryInterval as number
    expect(left).toBeGreaterThanOrEqual(55)
    expect(left).toBeLessThanOrEqual(58)
    await publisher.client.publish(`${base}/long`, '', { qos: 1, retain: true })
  }, 15_000)
})
