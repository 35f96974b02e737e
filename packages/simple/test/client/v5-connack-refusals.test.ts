/**
 * A CONNACK that refuses (reason code ≥ 0x80, MQTT 5.0 §3.2.2.2), from a scripted broker over real
 * loopback TCP: connect() rejects with the mapped MqttError (simple2's number where the meaning is
 * the same), carrying reasonCode, reasonString and serverReference, retryable where trying again
 * can help; the client closes its socket. A CONNACK that breaks the standard is a protocol error.
 */
import { describe, expect, test } from 'vitest'
import { isRetryable, MqttClient, MqttError } from '@x/simple'
import { answerWith } from '@x/test-support/fake-broker.js'
import { withDeadline } from '@x/test-support/wait.js'
import { thrown } from '../support/recording-client.js'
import { scriptedV5 } from '../support/v5-scripted.js'

const v5 = scriptedV5()

/** What connect() threw against this CONNACK, once the client has closed its socket. */
async function refusal(connack: Parameters<typeof answerWith>[0], options: Record<string, unknown> = {}): Promise<MqttError> {
  v5.broker.onConnection = answerWith(connack)
  const client = v5.newClient(options)
  const error = await thrown(() => client.connect())
  expect(error).toBeInstanceOf(MqttError)
  const conn = await v5.broker.connection()
  await withDeadline(conn.closed, 2000, 'the client to close its socket after the refusal')
  expect(client.isConnected).toBe(false)
  return error as MqttError
}

describe('a refusing CONNACK rejects connect() with the mapped error (MQTT 5.0 §3.2.2.2)', () => {
  const cases: Array<[reasonCode: number, code: string, retryable: boolean]> = [
    [0x80, 'EREFUSED', false],
    [0x81, 'EREFUSED', false],
    [0x82, 'EREFUSED', false],
    [0x83, 'EREFUSED', false],
    [0x84, 'ECONPROTOCOL', false],
    [0x85, 'ECONREJECT', false],
    [0x86, 'ECONCREDENTIALS', false],
    [0x87, 'ECONAUTH', false],
    [0x88, 'ECONUNAVAILABLE', true],
    [0x89, 'ESERVERBUSY', true],
    [0x8a, 'EBANNED', false],
    [0x8c, 'EBADAUTHMETHOD', false],
    [0x90, 'EREFUSED', false],
    [0x95, 'EREFUSED', false],
    [0x97, 'EQUOTA', true],
    [0x99, 'EREFUSED', false],
    [0x9a, 'EREFUSED', false],
    [0x9b, 'EREFUSED', false],
    [0x9c, 'EUSESERVER', true],
    [0x9d, 'ESERVERMOVED', true],
    [0x9f, 'ERATELIMIT', true],
  ]
  test.each(cases.map(([reasonCode, code, retryable]) => ({ name: `0x${reasonCode.toString(16)}`, reasonCode, code, retryable })))(
    'reason code $name → $code',
    async ({ reasonCode, code, retryable }) => {
      const error = await refusal({ reasonCode, properties: { reasonString: 'why not', serverReference: 'other:1883' } })
      expect(error.code).toBe(code)
      expect(error.reasonCode).toBe(reasonCode)
      expect(error.reasonString).toBe('why not')
      expect(error.serverReference).toBe('other:1883')
      expect(isRetryable(error)).toBe(retryable)
    },
  )

  test('without a Reason String or Server Reference those fields are absent, the code still there', async () => {
    const error = await refusal({ reasonCode: 0x86 })
    expect(error.code).toBe('ECONCREDENTIALS')
    expect(error.reasonCode).toBe(0x86)
    expect(error.reasonString).toBeUndefined()
    expect(error.serverReference).toBeUndefined()
  })

  test('the message says what the broker said', async () => {
    const error = await refusal({ reasonCode: 0x8a, properties: { reasonString: 'go away' } })
    expect(error.message).toContain('go away')
    expect(error.message).toMatch(/0x8a|banned/i)
  })

  test('after a refusal the client connects again', async () => {
    await refusal({ reasonCode: 0x89 })
    v5.broker.onConnection = answerWith({})
    expect(await (v5.client as MqttClient).connect()).toBe(false)
    expect((v5.client as MqttClient).isConnected).toBe(true)
  })
})

describe('a CONNACK that breaks the standard', () => {
  test('a 3.1.1 broker’s CONNACK 1 (it does not speak MQTT 5.0) is ECONPROTOCOL saying so', async () => {
    const error = await refusal([0x20, 0x02, 0x00, 0x01])
    expect(error.code).toBe('ECONPROTOCOL')
    expect(error.message).toMatch(/5\.0|MQTT 5/)
  })

  test('a reason code a CONNACK may not carry (0x8f) is a protocol error: DISCONNECT 0x82 [MQTT-3.2.2-8]', async () => {
    const error = await refusal([0x20, 0x03, 0x00, 0x8f, 0x00])
    expect(error.code).toBe('ECONLENGTH')
    expect(error.reasonCode).toBe(0x82)
    expect(v5.broker.connections[0]?.log.find((p) => p.type === 'disconnect')).toMatchObject({ reasonCode: 0x82 })
  })

  test('Receive Maximum 0 is a protocol error: DISCONNECT 0x82 (MQTT 5.0 §3.2.2.3.3)', async () => {
    const error = await refusal([0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00])
    expect(error.reasonCode).toBe(0x82)
    expect(v5.broker.connections[0]?.log.find((p) => p.type === 'disconnect')).toMatchObject({ reasonCode: 0x82 })
  })

  test('an Authentication Method in the CONNACK when CONNECT had none is a protocol error [MQTT-4.12.0-6]', async () => {
    const error = await refusal({ properties: { authenticationMethod: 'SCRAM-SHA-1' } })
    expect(error.reasonCode).toBe(0x82)
    expect(error.message).toContain('MQTT-4.12.0-6')
    expect(v5.broker.connections[0]?.log.find((p) => p.type === 'disconnect')).toMatchObject({ reasonCode: 0x82 })
  })
})
