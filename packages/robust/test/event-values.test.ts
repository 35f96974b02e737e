/**
 * At run time, the events carry what their types say: `'reconnecting'` and `'disconnect'` an
 * MqttError, `'error'` an MqttError or the Error a listener threw, whatever was thrown.
 */
import { describe, expect, test } from 'vitest'
import { isMqttError, type MqttClient, type MqttError } from '@x/simple'
import { waitFor } from '@x/test-support/wait.js'
import { RobustClient, type ReconnectInfo } from '../src/index.js'
import { argsOf, robust } from './support/harness.js'
import { ScriptedBroker } from './support/scripted-broker.js'

describe('what the events carry at run time', () => {
  test("a listener that throws a string: 'error' gets an MqttError EUNKNOWN naming it, with the string as cause", async () => {
    const { client, broker, events } = robust()
    client.on('message', () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- the point: something that is not an Error
      throw 'not an Error'
    })
    await client.connect()
    broker.message('t', 'x')
    await waitFor(() => argsOf(events, 'error').length === 1, "the 'error' event")
    const [error] = argsOf(events, 'error')[0] ?? []
    expect([isMqttError(error) && error.code, error?.message, error?.cause]).toEqual(['EUNKNOWN', 'not an Error', 'not an Error'])
  })

  test("an attempt that fails with something other than an MqttError (a custom createClient): 'reconnecting' gets it as an MqttError", async () => {
    const broker = new ScriptedBroker()
    let calls = 0
    const client = new RobustClient({
      clientId: 'dev-1',
      server: 'mqtt://broker.invalid',
      reconnect: { minDelayMs: 10, jitter: false, stableAfterMs: 0 },
      createClient: (options) => {
        const simple = broker.createClient(options) as MqttClient
        const connect = simple.connect.bind(simple)
        // The second attempt meets a bug of the custom client: a RangeError, not an MqttError (p-retry rethrows a TypeError at once).
        return Object.assign(simple, {
          connect: (o?: Parameters<MqttClient['connect']>[0]) =>
            ++calls === 2 ? Promise.reject(new RangeError('a bug in a custom client')) : connect(o),
        })
      },
    })
    const reconnecting: ReconnectInfo[] = []
    const errors: Array<MqttError | Error> = []
    client.on('reconnecting', (info) => reconnecting.push(info))
    client.on('error', (error) => errors.push(error))
    try {
      await client.connect()
      broker.drop()
      await waitFor(() => reconnecting.length === 2 && client.isConnected, 'two attempts, the second connected')
      const [first, second] = reconnecting
      expect([isMqttError(first?.error), first?.error.code]).toEqual([true, 'ECONCLOSE'])
      expect([isMqttError(second?.error), second?.error.code, second?.error.message]).toEqual([
        true,
        'EUNKNOWN',
        'a bug in a custom client',
      ])
      expect(second?.error.cause).toBeInstanceOf(RangeError)
      expect(errors.map((e) => isMqttError(e) && e.code)).toEqual(['EUNKNOWN'])
    } finally {
      await client.close()
    }
  })
})
