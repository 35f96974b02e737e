// The same program with MQTT.js: connect, publish one message at QoS 1 (resolves on PUBACK), disconnect.
import mqtt from 'mqtt'

async function main(): Promise<void> {
  const client = await mqtt.connectAsync(process.argv[2] ?? 'mqtt://127.0.0.1', { clientId: 'footprint-mqttjs' })
  await client.publishAsync('footprint/test', 'hello', { qos: 1 })
  await client.endAsync()
  console.log('delivered')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
