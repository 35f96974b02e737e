/**
 * The setup the MQTT 5.0 client tests share: a scripted v5 broker on real loopback TCP, new for
 * each test, and the client under test. After each test the client (if the test made one) is
 * disconnected and the broker closed, so no socket or timer outlives its test.
 */
import { afterEach, beforeEach } from 'vitest'
import { MqttClient, type ClientOptions } from '@x/simple'
import { answerWith, FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'

export interface ScriptedV5 {
  /** This test's broker. */
  readonly broker: FakeBroker<5>
  /** The client under test, once the test made one. */
  client: MqttClient | undefined
  /** A v5 client of this broker (clientId "c1", 2 s socket timeout, then `options`), made the test's `client`; not yet connected. */
  newClient(options?: Record<string, unknown>): MqttClient
  /** A `newClient(options)`, connected to the broker answering a CONNACK with these properties; the broker's side of it. */
  connected(connackProperties?: Record<string, unknown>, options?: Record<string, unknown>): Promise<FakeConnection<5>>
}

/** Registers the hooks (call it at the top of a test file) and returns what each test uses. */
export function scriptedV5(): ScriptedV5 {
  let broker: FakeBroker<5> | undefined
  const v5: ScriptedV5 = {
    get broker() {
      if (!broker) throw new Error('the scripted broker exists only inside a test')
      return broker
    },
    client: undefined,
    newClient(options = {}) {
      const { url } = v5.broker
      return (v5.client = new MqttClient({
        clientId: 'c1',
        server: url,
        protocolVersion: 5,
        socketTimeoutMs: 2000,
        ...options,
      } as ClientOptions))
    },
    async connected(connackProperties = {}, options = {}) {
      v5.broker.onConnection = answerWith({ properties: connackProperties })
      await v5.newClient(options).connect()
      return v5.broker.connection()
    },
  }
  beforeEach(async () => {
    broker = await FakeBroker.start({ protocolVersion: 5 })
    v5.client = undefined
  })
  afterEach(async () => {
    await v5.client?.disconnect()
    await broker?.close()
    broker = undefined
  })
  return v5
}
