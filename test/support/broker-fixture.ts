/**
 * The setup most integration files share: one broker for the file (per `describe.each(BROKERS)`
 * block), a pool whose clients are closed after each test, and fault proxies in front of the
 * broker, cut and closed after each test (a black-holed link would otherwise hold a DISCONNECT).
 */
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startPlainBroker, type BrokerName, type PlainBroker } from './brokers.js'
import { startFaultProxy, type FaultProxy } from './fault-proxy.js'
import { ClientPool } from './test-clients.js'

export interface BrokerFixture {
  /** The broker, once `beforeAll` has run. */
  readonly broker: PlainBroker
  readonly pool: ClientPool
  /** A new fault proxy in front of the broker, released after the test. */
  proxy(): Promise<FaultProxy>
}

/** Registers the hooks in the calling describe block and returns the fixture. */
export function useBroker(name: BrokerName): BrokerFixture {
  let broker: PlainBroker | undefined
  const pool = new ClientPool()
  const proxies: FaultProxy[] = []
  beforeAll(async () => {
    broker = await startPlainBroker(name)
  })
  afterEach(async () => {
    for (const proxy of proxies) proxy.cut()
    await pool.closeAll()
    for (const proxy of proxies.splice(0)) await proxy.close()
  })
  afterAll(async () => {
    await pool.closeAll()
    await broker?.stop()
  })
  return {
    get broker() {
      if (!broker) throw new Error('the broker starts in beforeAll: use it inside a test')
      return broker
    },
    pool,
    proxy: async () => {
      const { port, websocket } = broker as PlainBroker
      const proxy = await startFaultProxy({ targetPort: port, websocket })
      proxies.push(proxy)
      return proxy
    },
  }
}
