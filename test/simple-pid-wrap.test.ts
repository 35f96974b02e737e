/**
 * Packet ids against a real broker: 65,535 QoS 1 publishes use up every id, and the next one
 * wraps to 1 and is delivered [MQTT-2.3.1-2]. Acks are processed while publishing (a window of
 * unacknowledged messages), as an application running its receive loop would. A file of its own:
 * it is the slowest scenario, and runs in parallel with the others.
 */
import { describe, expect, test } from 'vitest'
import { SDELIVERED } from '@x/simple'
import { BROKERS } from './support/brokers.js'
import { useBroker } from './support/broker-fixture.js'
import { pump, uid } from './support/test-clients.js'

const LAST_PID = 65_535
// Enough in flight to keep the link busy; few enough that the broker never throttles us.
const WINDOW = 500

describe.each(BROKERS)('%s', (name) => {
  const fixture = useBroker(name)
  const { pool } = fixture

  test('packet ids run 1..65535, then wrap to 1, and the wrapped publish is delivered', { timeout: 60_000 }, async () => {
    const r = pool.make({ clientId: uid('wrap'), server: fixture.broker.url, messageTimeoutMs: 30_000 })
    await r.client.connect()
    const topic = uid('wrap')
    const payload = new Uint8Array(0)
    let delivered = 0
    let other = 0
    // The statuses of the two ids around the wrap, in the order they came.
    const edges: Array<{ pid: number; status: number }> = []
    r.client.setCallbackStatus((pid, status) => {
      if (status === SDELIVERED) delivered++
      else other++
      if (pid === 1 || pid === LAST_PID) edges.push({ pid, status })
    })

    const total = LAST_PID + 1
    let wrongPid: string | undefined
    for (let i = 1; i <= total; i++) {
      const pid = await r.client.publish(topic, payload, { qos: 1 })
      const expected = i <= LAST_PID ? i : 1
      if (pid !== expected && wrongPid === undefined) wrongPid = `publish #${i} got pid ${pid}, expected ${expected}`
      r.client.checkMsg()
      // Bounded: each wait ends after 1 s at most, and the pump below has its own deadline.
      while (i - delivered - other > WINDOW) await r.client.waitMsg(1000)
    }
    expect(wrongPid).toBeUndefined()
    await pump(r, () => delivered + other >= total, 'the last PUBACKs', 10_000)
    expect(other).toBe(0)
    expect(delivered).toBe(total)
    // pid 1 was acknowledged twice: first, and again after 65535 (the publish that wrapped).
    expect(edges).toEqual([
      { pid: 1, status: SDELIVERED },
      { pid: LAST_PID, status: SDELIVERED },
      { pid: 1, status: SDELIVERED },
    ])
  })
})
