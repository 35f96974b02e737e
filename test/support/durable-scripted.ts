/**
 * Scripted brokers and durable clients for the restart tests that check exact packets: each test
 * file calls `scriptedRestarts()` once, and what its tests start is closed after each of them.
 */
import { afterEach } from 'vitest'
import { MemoryStore, RobustClient, type RobustOptions, type Store } from '@x/robust'
import { FakeBroker, type FakeConnection } from './fake-broker.js'
import { uid } from './test-clients.js'

export function scriptedRestarts() {
  const brokers: FakeBroker[] = []
  const clients: RobustClient[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close()
    for (const b of brokers.splice(0)) await b.close()
  })
  /**
   * A broker that accepts every CONNECT, saying it kept the session (as a broker does for
   * cleanSession false), or, from connection `forgetsAt` on, that it has none (restarted without persistence).
   */
  const broker = async (forgetsAt = Infinity): Promise<FakeBroker> => {
    const b = await FakeBroker.start()
    let connections = 0
    b.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send({ type: 'connack', sessionPresent: connections++ < forgetsAt, returnCode: 0 })
    }
    brokers.push(b)
    return b
  }
  /** A client of `store` at `server`, reconnecting within 50 ms (and `options`). */
  const client = (clientId: string, server: string | string[], store: Store, options: Partial<RobustOptions> = {}): RobustClient => {
    const c = new RobustClient({ clientId, server, store, keepaliveSec: 0, reconnect: { minDelayMs: 20, maxDelayMs: 50 }, ...options })
    clients.push(c)
    return c
  }
  /** A first run: a broker (as `broker(forgetsAt)`), a store, a client id named after `name`, that client connected, and its connection at the broker. */
  const firstRun = async (name: string, forgetsAt = Infinity) => {
    const b = await broker(forgetsAt)
    const store = new MemoryStore()
    const id = uid(name)
    const first = client(id, b.url, store)
    await first.connect()
    return { b, store, id, first, conn: (await b.connection(0)) as FakeConnection }
  }
  return { brokers, clients, broker, client, firstRun }
}
