// The MQTT 5 footprint program: connect with protocolVersion 5, publish one message at QoS 1 with
// a user property, wait for its PUBACK and its reason code, disconnect.
import { MqttClient } from '@x/simple'

async function main(): Promise<void> {
  const client = new MqttClient({ clientId: 'footprint-v5', server: process.argv[2] ?? 'mqtt://127.0.0.1', protocolVersion: 5 })
  let acked: { status: number; code: number | undefined } | undefined
  client.setCallbackStatus((_pid, status, code) => (acked = { status, code }))
  await client.connect()
  await client.publish('footprint/test', 'hello', { qos: 1, properties: { userProperties: { k: 'v' } } })
  while (!acked) await client.waitMsg(1000)
  await client.disconnect()
  const { status, code } = acked
  // SDELIVERED (1) with a success code: 0, or 0x10 (no matching subscribers, as mosquitto says when nobody listens).
  console.log(status === 1 && code !== undefined && code < 0x80 ? 'delivered' : `status ${status}, reason code ${code}`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
