// The footprint program for a web page: the same as simple-qos1.ts, over the page's WebSocket.
import { MqttClient } from '@x/simple'

// Where the page's broker is: set by whoever loads the page (size.ts runs it with ws's WebSocket).
const url = (globalThis as { MQTT_URL?: string }).MQTT_URL ?? 'ws://127.0.0.1/mqtt'

async function main(): Promise<void> {
  const client = new MqttClient({ clientId: 'footprint-browser', server: url })
  let delivered = false
  client.setCallbackStatus((_pid, status) => (delivered = status === 1))
  await client.connect()
  await client.publish('footprint/test', 'hello', { qos: 1 })
  while (!delivered) await client.waitMsg(1000)
  await client.disconnect()
  console.log('delivered')
}

main().catch((error: unknown) => console.error(error))
