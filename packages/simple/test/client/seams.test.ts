import { afterEach, expect, test } from 'vitest'
import { MqttClient, SDELIVERED } from '@x/simple'
import { FakeBroker } from '@x/test-support/fake-broker.js'
import { MemoryBroker } from '@x/test-support/memory-transport.js'

let fake: FakeBroker | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

test('memory transport: QoS 1 publish gets SDELIVERED on PUBACK', async () => {
  const broker = new MemoryBroker()
  const c = new MqttClient({ clientId: 'm', server: 'x', transport: broker.transport })
  const statuses: Array<[number, number]> = []
  c.setCallbackStatus((pid, s) => statuses.push([pid, s]))
  expect(await c.connect()).toBe(false)
  const pid = await c.publish('a/b', 'hi', { qos: 1 })
  expect(broker.last.sent('publish')[0]).toMatchObject({ topic: 'a/b', qos: 1, pid })
  broker.last.send({ type: 'puback', pid: pid as number })
  expect(c.checkMsg()).toBe(1)
  expect(statuses).toEqual([[pid, SDELIVERED]])
  await c.disconnect()
  expect(broker.last.closed).toBe(true)
})

test('fake TCP broker: connect, publish QoS 0, disconnect', async () => {
  fake = await FakeBroker.start()
  const c = new MqttClient({ clientId: 'f', server: fake.url })
  await c.connect()
  const conn = await fake.connection()
  await c.publish('t', 'x')
  expect(await conn.next('publish')).toMatchObject({ topic: 't', qos: 0 })
  await c.disconnect()
  await conn.next('disconnect')
  await conn.closed
})
