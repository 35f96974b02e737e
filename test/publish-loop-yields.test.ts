/**
 * A program that publishes in a loop (`for (…) await client.publish(…)`) at QoS 0 must not take
 * the event loop for itself: its other sockets, timers and the keepalive need their turn, and
 * so does a broker in the same process. Over TCP Node's socket makes the writer wait once its
 * buffer fills; over WebSocket the `ws` package writes each frame to the kernel at once, so the
 * link itself makes the writer wait for a round of I/O every 64 KiB.
 */
import { describe, expect, test } from 'vitest'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import { uid } from './support/test-clients.js'

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)

  test('a QoS 0 publishing loop of 4 MB lets the event loop run many times while it publishes', async () => {
    const r = fixture.pool.make({ clientId: uid('loop'), server: fixture.broker.url })
    await r.client.connect()
    let rounds = 0
    let counting = true
    const count = (): void => {
      rounds++
      if (counting) setImmediate(count)
    }
    setImmediate(count)
    const payload = new Uint8Array(1000)
    for (let i = 0; i < 4000; i++) await r.client.publish(`loop/${name}`, payload)
    counting = false
    // 4 MB in 64 KiB (or smaller) steps: dozens of rounds; a loop that never yields gives none.
    expect(rounds).toBeGreaterThan(20)
    await r.client.disconnect()
    await new Promise((resolve) => setImmediate(resolve))
  })
})
