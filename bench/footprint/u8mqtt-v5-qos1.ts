// The MQTT 5 program with u8-mqtt (0.6, its smallest MQTT 5 build for Node, "basic-v5"): connect,
// publish at QoS 1 with a user property (send() resolves on PUBACK), disconnect.
import mqtt from 'u8-mqtt/esm/node/basic-v5.mjs'

async function main(): Promise<void> {
  const client = mqtt().with_tcp(process.argv[2] ?? 'mqtt://127.0.0.1:1883')
  await client.connect({ client_id: 'footprint-u8mqtt-v5' })
  const [puback] = (await client.send('footprint/test', 'hello', { props: { user_properties: { k: 'v' } } })) as [{ reason?: unknown }]
  await client.disconnect()
  const code = Number(puback?.reason ?? 0)
  console.log(code < 0x80 ? 'delivered' : `PUBACK reason code ${code}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
