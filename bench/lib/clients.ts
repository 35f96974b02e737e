/**
 * The two clients behind one small interface, so each measure is written once. @x/simple's acks
 * and messages arrive through its receive calls, so its adapter runs a `waitMsg()` loop of its own
 * (as an application would); MQTT.js runs its own internally.
 */
import { MqttClient, SDELIVERED, type QoS } from '@x/simple'
import mqtt from 'mqtt'

export interface BenchClient {
  /** Publishes; resolves when delivered (QoS 0: written, QoS 1: PUBACK, QoS 2: PUBCOMP). */
  publish(topic: string, payload: Uint8Array, qos: QoS): Promise<void>
  subscribe(filter: string, qos: QoS): Promise<void>
  onMessage(handler: (topic: string, payload: Uint8Array) => void): void
  close(): Promise<void>
}

export type ClientFactory = (url: string, clientId: string) => Promise<BenchClient>

export const simpleClient: ClientFactory = async (url, clientId) => {
  const client = new MqttClient({ clientId, server: url, messageTimeoutMs: 0 })
  const waiting = new Map<number, () => void>()
  client.setCallbackStatus((pid, status) => {
    if (status === SDELIVERED || status === 3) waiting.get(pid)?.()
    waiting.delete(pid)
  })
  let handler: (topic: string, payload: Uint8Array) => void = () => {}
  client.setCallback((topic, payload) => handler(topic, payload))
  await client.connect()
  let running = true
  // disconnect() ends the loop's wait with ECONNOT: only a failure while running is news.
  const loop = (async () => {
    while (running) await client.waitMsg(100)
  })().catch((error: unknown) => {
    if (running) console.error('@x/simple receive loop:', error)
  })
  const acked = (pid: number): Promise<void> => new Promise((resolve) => waiting.set(pid, resolve))
  return {
    publish: async (topic, payload, qos) => {
      const pid = await client.publish(topic, payload, { qos })
      if (pid !== undefined) await acked(pid)
    },
    subscribe: async (filter, qos) => acked(await client.subscribe(filter, { qos })),
    onMessage: (h) => (handler = h),
    close: async () => {
      running = false
      await client.disconnect()
      await loop
    },
  }
}

export const mqttjsClient: ClientFactory = async (url, clientId) => {
  const client = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 })
  return {
    publish: async (topic, payload, qos) => {
      await client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos })
    },
    subscribe: async (filter, qos) => {
      await client.subscribeAsync(filter, { qos })
    },
    onMessage: (handler) => client.on('message', (topic, payload) => handler(topic, payload)),
    close: () => client.endAsync(),
  }
}

export const CLIENTS: Array<[name: string, factory: ClientFactory]> = [
  ['@x/simple', simpleClient],
  ['MQTT.js', mqttjsClient],
]
