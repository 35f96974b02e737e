// The MQTT 5 program for a web page with MQTT.js (its browser build), over the page's WebSocket.
import mqtt from 'mqtt'

const url = (globalThis as { MQTT_URL?: string }).MQTT_URL ?? 'ws://127.0.0.1/mqtt'

async function main(): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: 'footprint-mqttjs-v5-browser', protocolVersion: 5 })
  const puback = await client.publishAsync('footprint/test', 'hello', { qos: 1, properties: { userProperties: { k: 'v' } } })
  await client.endAsync()
  const code = (puback as { reasonCode?: number } | undefined)?.reasonCode ?? 0
  console.log(code < 0x80 ? 'delivered' : `PUBACK reason code ${code}`)
}

main().catch((error: unknown) => console.error(error))
