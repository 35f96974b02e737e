// The MQTT 5 program for a web page with u8-mqtt (its smallest MQTT 5 web build, "basic-v5"),
// over the page's WebSocket.
import mqtt from 'u8-mqtt/esm/web/basic-v5.js'

const url = (globalThis as { MQTT_URL?: string }).MQTT_URL ?? 'ws://127.0.0.1/mqtt'

async function main(): Promise<void> {
  const client = mqtt().with_websock(url)
  await client.connect({ client_id: 'footprint-u8mqtt-v5-browser' })
  const [puback] = (await client.send('footprint/test', 'hello', { props: { user_properties: { k: 'v' } } })) as [{ reason?: unknown }]
  await client.disconnect()
  const code = Number(puback?.reason ?? 0)
  console.log(code < 0x80 ? 'delivered' : `PUBACK reason code ${code}`)
}

main().catch((error: unknown) => console.error(error))
