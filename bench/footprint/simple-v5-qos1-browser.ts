// The MQTT 5 footprint program for a web page: the same as simple-v5-qos1.ts, over the page's WebSocket.
import { MqttClient } from '@x/simple'

// Where the page's broker is: set by whoever loads the page (size.ts runs it with ws's WebSocket).
const url = (globalThis as { MQTT_URL?: string }).MQTT_URL ?? 'ws://127.0.0.1/mqtt'

async function main(): Promise<void> {
  const client = new MqttClient({ clientId: 'footprint-v5-browser', server: url, protocolVersion: 5 })
  let acked: { status: number; code: number | undefined } | undefined
  client.setCallbackStatus((_pid, status, code) => (acked = { status, code }))
  await client.connect()
  await client.publish('footprint/test', 'hello', { qos: 1, properties: { userProperties: { k: 'v' } } })
  while (!acked) await client.waitMsg(1000)
  await client.disconnect()
  const { status, code } = acked
  // SDELIVERED (1) with a success code: 0, or 0x10 (no matching subscribers, as mosquitto says when nobody listens).
  console.log(status === 1 && code !== undefined && code < 0x80 ? 'delivered' : `status ${status}, reason code ${code}`)
}

main().catch((error: unknown) => console.error(error))
