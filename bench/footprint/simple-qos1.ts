// The footprint program: connect, publish one message at QoS 1, wait for its PUBACK, disconnect.
import { MqttClient } from '@x/simple'

async function main(): Promise<void> {
  const client = new MqttClient({ clientId: 'footprint', server: process.argv[2] ?? 'mqtt://127.0.0.1' })
  let delivered = false
  client.setCallbackStatus((_pid, status) => (delivered = status === 1))
  await client.connect()
  await client.publish('footprint/test', 'hello', { qos: 1 })
  while (!delivered) await client.waitMsg(1000)
  await client.disconnect()
  console.log('delivered')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
