/**
 * Where each form of `server` leads: the target the client hands its transport (host, port, TLS,
 * WebSocket path), seen through a transport that records it and refuses.
 */
import { expect, test } from 'vitest'
import { MqttClient, MqttError, type Target } from '@x/simple'

async function targetOf(server: string, options: { port?: number; tls?: boolean } = {}): Promise<Omit<Target, 'timeoutMs'>> {
  let seen: Target | undefined
  const client = new MqttClient({
    clientId: 'c',
    server,
    ...options,
    transport: async (target) => {
      seen = target
      throw new MqttError('ENOCON', 'recorded')
    },
  })
  await expect(client.connect()).rejects.toMatchObject({ message: 'recorded' })
  const { timeoutMs: _, ...rest } = seen as Target
  return rest
}

test.each<[string, Omit<Target, 'timeoutMs'>]>([
  ['broker.example', { host: 'broker.example', port: 1883, tls: undefined, path: undefined }],
  ['mqtt://broker.example', { host: 'broker.example', port: 1883, tls: undefined, path: undefined }],
  ['mqtts://broker.example', { host: 'broker.example', port: 8883, tls: {}, path: undefined }],
  ['ws://broker.example', { host: 'broker.example', port: 80, tls: undefined, path: '/mqtt' }],
  ['wss://broker.example', { host: 'broker.example', port: 443, tls: {}, path: '/mqtt' }],
  ['ws://test.mosquitto.org:8080', { host: 'test.mosquitto.org', port: 8080, tls: undefined, path: '/mqtt' }],
  ['ws://broker.example:9001/ws?token=abc', { host: 'broker.example', port: 9001, tls: undefined, path: '/ws?token=abc' }],
  ['ws://[::1]:8080/mqtt', { host: '::1', port: 8080, tls: undefined, path: '/mqtt' }],
])('%s', async (server, target) => {
  expect(await targetOf(server)).toEqual(target)
})

test('the port and tls options count over what the URL implies', async () => {
  expect(await targetOf('ws://broker.example', { port: 8080, tls: true })).toEqual({
    host: 'broker.example',
    port: 8080,
    tls: {},
    path: '/mqtt',
  })
})

test('an unknown scheme names the ones there are', () => {
  expect(() => new MqttClient({ clientId: 'c', server: 'http://broker.example' })).toThrow(
    'Invalid option server: http://broker.example is not a URL with a host and one of mqtt:, tcp:, mqtts:, tls:, ssl:, ws:, wss:',
  )
})
