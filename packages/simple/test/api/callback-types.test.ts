/**
 * The callbacks written as a strict TypeScript user writes them, with no casts: the type checker
 * (`tsc -p tsconfig.json`, which includes this file) fails if their arguments lose their types.
 */
import { describe, expectTypeOf, test } from 'vitest'
import { MqttClient, SDELIVERED, SLOST, SREFUSED, STIMEOUT, SUNKNOWNPID, type DeliveryStatus, type MqttPayload, type QoS } from '@x/simple'

const client = (): MqttClient => new MqttClient({ clientId: 'types', server: 'mqtt://127.0.0.1:1' })

describe('the callbacks, as a strict TypeScript user writes them', () => {
  test('the status is the DeliveryStatus union: a switch over the constants is exhaustive', () => {
    client().setCallbackStatus((pid, status, granted) => {
      expectTypeOf(pid).toEqualTypeOf<number>()
      expectTypeOf(status).toEqualTypeOf<DeliveryStatus>()
      expectTypeOf(granted).toEqualTypeOf<number | undefined>()
      // @ts-expect-error: 5 is no delivery status
      if (status === 5) return
      switch (status) {
        case STIMEOUT:
        case SDELIVERED:
        case SUNKNOWNPID:
        case SREFUSED:
        case SLOST:
          return
        default:
          expectTypeOf(status).toEqualTypeOf<never>()
      }
    })
  })

  test('the constants are literal-typed', () => {
    expectTypeOf([STIMEOUT, SDELIVERED, SUNKNOWNPID, SREFUSED, SLOST] as const).toEqualTypeOf<readonly [0, 1, 2, 3, 4]>()
  })

  test('the message callback: the payload is an MqttPayload whose toString() is its text', () => {
    client().setCallback((topic, payload, retained, dup, qos) => {
      expectTypeOf(topic).toEqualTypeOf<string>()
      expectTypeOf(payload).toEqualTypeOf<MqttPayload>()
      expectTypeOf(payload.toString()).toEqualTypeOf<string>()
      expectTypeOf([retained, dup]).toEqualTypeOf<boolean[]>()
      expectTypeOf(qos).toEqualTypeOf<QoS>()
    })
  })
})
