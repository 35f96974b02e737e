// The MQTT 5 program with MQTT.js: connect with protocolVersion 5, publish at QoS 1 with a user
// property (publishAsync resolves on a PUBACK below 0x80, and rejects otherwise), disconnect.
import mqtt from 'mqtt'

async function main(): Promise<void> {
  const client = await mqtt.connectAsync(process.argv[2] ?? 'mqtt://127.0.0.1', { clientId: 'footprint-mqttjs-v5', protocolVersion: 5 })
  const puback = await client.publishAsync('footprint/test', 'hello', { qos: 1, properties: { userProperties: { k: 'v' } } })
  await client.endAsync()
  const code = (puback as { reasonCode?: number } | undefined)?.reasonCode ?? 0
  console.log(code < 0x80 ? 'delivered' : `PUBACK reason code ${code}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
