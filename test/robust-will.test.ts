/**
 * @x/robust's last will (`will`), against aedes and mosquitto: published when the link dies
 * without DISCONNECT, kept across reconnects (the next abrupt loss publishes it again), and not
 * published after close(), which says goodbye.
 */
import { describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { SDELIVERED } from '@x/simple'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import { pump, uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)

  test('the will goes out on each abrupt loss, across reconnects, and not after close()', async () => {
    const topic = uid('robust/will')
    const watcher = fixture.pool.make({ clientId: uid('watcher'), server: fixture.broker.url })
    await watcher.client.connect()
    const sub = await watcher.client.subscribe(topic, { qos: 1 })
    await pump(watcher, () => watcher.statusOf(sub) === SDELIVERED, 'SUBACK')
    const proxy = await fixture.proxy()
    const client = new RobustClient({
      clientId: uid('with-will'),
      server: proxy.url,
      will: { topic, payload: 'pump 7 offline', qos: 1, retain: false },
      reconnect: { minDelayMs: 20, maxDelayMs: 100 },
    })
    let connects = 0
    client.on('connect', () => connects++)
    try {
      await client.connect()
      proxy.cut() // no DISCONNECT: the broker publishes the will
      await pump(watcher, () => watcher.on(topic).length === 1, 'the will after the first loss')
      await waitFor(() => connects === 2, 'the reconnect')
      proxy.cut() // the reconnect carried the will again
      await pump(watcher, () => watcher.on(topic).length === 2, 'the will after the second loss')
      await waitFor(() => connects === 3, 'the second reconnect')
      expect(watcher.on(topic).map((m) => [m.text, m.qos])).toEqual([
        ['pump 7 offline', 1],
        ['pump 7 offline', 1],
      ])
    } finally {
      await client.close() // DISCONNECT: no will
    }
    await pump(watcher, () => false, 'nothing more', 500).catch(() => {})
    await sleep(100)
    expect(watcher.on(topic), `${name}: no will after close()`).toHaveLength(2)
  })

  test('a will with an invalid topic is refused by the constructor, before any connection', () => {
    expect(() => new RobustClient({ clientId: 'x', server: fixture.broker.url, will: { topic: 'a/#', payload: 'x' } })).toThrow(
      expect.objectContaining({ code: 'ETOPIC', message: expect.stringContaining('[MQTT-3.3.2-2]') }),
    )
  })
})
