// The same program with u8-mqtt (0.6, its smallest MQTT 3.1.1 build for Node, "basic-v4"):
// connect, publish one message at QoS 1 (send() resolves on PUBACK), disconnect.
import mqtt from 'u8-mqtt/esm/node/basic-v4.mjs'

async function main(): Promise<void> {
  const client = mqtt().with_tcp(process.argv[2] ?? 'mqtt://127.0.0.1:1883')
  await client.connect({ client_id: 'footprint-u8mqtt' })
  await client.send('footprint/test', 'hello')
  await client.disconnect()
  console.log('delivered')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
