// The same program for a web page with u8-mqtt (its smallest MQTT 3.1.1 web build, "basic-v4"),
// over the page's WebSocket.
import mqtt from 'u8-mqtt/esm/web/basic-v4.js'

const url = (globalThis as { MQTT_URL?: string }).MQTT_URL ?? 'ws://127.0.0.1/mqtt'

async function main(): Promise<void> {
  const client = mqtt().with_websock(url)
  await client.connect({ client_id: 'footprint-u8mqtt-browser' })
  await client.send('footprint/test', 'hello')
  await client.disconnect()
  console.log('delivered')
}

main().catch((error: unknown) => console.error(error))
