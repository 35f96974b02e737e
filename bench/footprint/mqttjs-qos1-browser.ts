// The same program for a web page with MQTT.js (its browser build), over the page's WebSocket.
import mqtt from 'mqtt'

const url = (globalThis as { MQTT_URL?: string }).MQTT_URL ?? 'ws://127.0.0.1/mqtt'

async function main(): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: 'footprint-mqttjs-browser' })
  await client.publishAsync('footprint/test', 'hello', { qos: 1 })
  await client.endAsync()
  console.log('delivered')
}

main().catch((error: unknown) => console.error(error))
