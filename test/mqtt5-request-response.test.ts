/**
 * The request/response properties of MQTT 5 travel through mosquitto 2.0.11 (defaults) between
 * two @x/simple clients: what one sends, the other's message callback gets, and the answer finds
 * its way back by the Response Topic and Correlation Data. User properties keep their order and
 * their repeated keys.
 */
import { describe, expect, test } from 'vitest'
import { type Recorder5, useMosquitto5 } from './support/mqtt5-clients.js'
import { pump, uid } from './support/test-clients.js'

const fixture = useMosquitto5()

async function subscribed(filter: string): Promise<Recorder5> {
  const client = fixture.pool.make({ clientId: uid('rr'), server: fixture.mosquitto.urls.plain })
  await client.client.connect()
  const pid = await client.client.subscribe(filter, { qos: 1 })
  await pump(client, () => client.statusOf(pid) !== undefined, `SUBACK for ${filter}`)
  return client
}

describe('MQTT 5 request/response through mosquitto 2.0.11', () => {
  test('responseTopic, correlationData, contentType, payloadFormatIndicator and user properties arrive as sent; the answer comes back correlated', async () => {
    const base = uid('rr')
    const requester = await subscribed(`${base}/responses/#`)
    const responder = await subscribed(`${base}/requests`)
    const correlation = new Uint8Array([0, 1, 2, 0xfe, 0xff])
    const sent = {
      payloadFormatIndicator: true,
      responseTopic: `${base}/responses/r1`,
      correlationData: correlation,
      userProperties: { a: ['1', '2'], b: '3' },
      contentType: 'application/json; charset=utf-8',
    }
    await requester.client.publish(`${base}/requests`, '{"get":"temperature"}', { qos: 1, properties: sent } as never)
    await pump(responder, () => responder.messages.length === 1, 'the request')
    const request = responder.messages[0]
    expect(request?.text).toBe('{"get":"temperature"}')
    const props = request?.properties ?? {}
    expect(props.payloadFormatIndicator).toBe(true)
    expect(props.responseTopic).toBe(sent.responseTopic)
    expect(props.contentType).toBe(sent.contentType)
    expect(Array.from(props.correlationData as Uint8Array)).toEqual(Array.from(correlation))
    expect(props.correlationData).toBeInstanceOf(Uint8Array)
    // In order, the repeated key as an array of its values in order.
    const user = props.userProperties as Record<string, string | string[]>
    expect(Object.keys(user)).toEqual(['a', 'b'])
    expect({ ...user }).toEqual({ a: ['1', '2'], b: '3' })
    // Nothing the sender did not send (mosquitto adds no property to a plain subscription's message).
    expect(Object.keys(props).sort()).toEqual(Object.keys(sent).sort())

    // The responder answers where it was told, with the correlation data it got.
    await responder.client.publish(props.responseTopic as string, '21.5', {
      qos: 1,
      properties: { correlationData: props.correlationData, userProperties: { unit: 'C' } },
    } as never)
    await pump(requester, () => requester.messages.length === 1, 'the response')
    const response = requester.messages[0]
    expect(response?.topic).toBe(sent.responseTopic)
    expect(response?.text).toBe('21.5')
    expect(Array.from(response?.properties?.correlationData as Uint8Array)).toEqual(Array.from(correlation))
    expect({ ...(response?.properties?.userProperties as object) }).toEqual({ unit: 'C' })
  })

  test('user properties: keys in the order sent, three values of one key in order, an empty value kept', async () => {
    const base = uid('rr-user')
    const receiver = await subscribed(`${base}/t`)
    const sender = fixture.pool.make({ clientId: uid('rr-send'), server: fixture.mosquitto.urls.plain })
    await sender.client.connect()
    await sender.client.publish(`${base}/t`, 'x', {
      qos: 1,
      properties: { userProperties: { z: '1', a: ['2', '3', '4'], m: '' } },
    } as never)
    await pump(receiver, () => receiver.messages.length === 1, 'the message')
    const user = receiver.messages[0]?.properties?.userProperties as Record<string, string | string[]>
    expect(Object.keys(user)).toEqual(['z', 'a', 'm'])
    expect({ ...user }).toEqual({ z: '1', a: ['2', '3', '4'], m: '' })
  })
})
