/**
 * Listeners written as a strict TypeScript user writes them, one per event, with no casts: the
 * type checker (`tsc -p tsconfig.json`, which includes this file) fails if an event's arguments
 * lose their types. The `@ts-expect-error` lines prove the types are not `any`. At run time the
 * listeners are only registered, never called.
 */
import { describe, expectTypeOf, test } from 'vitest'
import {
  MqttError,
  RobustClient,
  type DeliveryStatus,
  type DropReason,
  type ErrorCode,
  type Message,
  type MessageInfo,
  type MqttPayload,
  type QoS,
} from '../src/index.js'
import { SDELIVERED } from '@x/simple'

const client = (): RobustClient => new RobustClient({ clientId: 'types', server: 'mqtt://127.0.0.1:1' })

describe('each event, as a listener sees it', () => {
  test("'reconnecting': the error has .message and .code, and the server is a string", () => {
    client().on('reconnecting', ({ attempt, delayMs, error, server }) => {
      expectTypeOf(error).toEqualTypeOf<MqttError>()
      expectTypeOf(error.message).toEqualTypeOf<string>()
      expectTypeOf(error.code).toEqualTypeOf<ErrorCode>()
      expectTypeOf(error.errno).toEqualTypeOf<number>()
      expectTypeOf([attempt, delayMs]).toEqualTypeOf<number[]>()
      expectTypeOf(server).toEqualTypeOf<string>()
      // @ts-expect-error: a code that does not exist is refused
      if (error.code === 'ENOSUCHCODE') return
    })
  })

  test("'error': an MqttError or an Error a listener threw, with .message; .code once narrowed", () => {
    client().on('error', (error) => {
      expectTypeOf(error).toEqualTypeOf<MqttError | Error>()
      expectTypeOf(error.message).toEqualTypeOf<string>()
      // @ts-expect-error: an Error a listener threw has no code until narrowed
      void error.code
      if (error instanceof MqttError) expectTypeOf(error.code).toEqualTypeOf<ErrorCode>()
    })
  })

  test("'disconnect': an MqttError", () => {
    client().on('disconnect', (error) => {
      expectTypeOf(error).toEqualTypeOf<MqttError>()
      expectTypeOf(error.code).toEqualTypeOf<ErrorCode>()
    })
  })

  test("'connect': whether the session was kept, and the server", () => {
    client().on('connect', (sessionPresent, server) => {
      expectTypeOf(sessionPresent).toEqualTypeOf<boolean>()
      expectTypeOf(server).toEqualTypeOf<string>()
    })
  })

  test("'message': the payload is an MqttPayload whose toString() is its text; the info's QoS is 0 | 1 | 2", () => {
    client().on('message', (topic, payload, info) => {
      expectTypeOf(topic).toEqualTypeOf<string>()
      expectTypeOf(payload).toEqualTypeOf<MqttPayload>()
      expectTypeOf(payload.toString()).toEqualTypeOf<string>()
      expectTypeOf(info).toEqualTypeOf<MessageInfo>()
      expectTypeOf(info.qos).toEqualTypeOf<QoS>()
    })
  })

  test("'drop': the message and the reason", () => {
    client().on('drop', (message, reason) => {
      expectTypeOf(message).toEqualTypeOf<Message>()
      expectTypeOf(reason).toEqualTypeOf<DropReason>()
      // @ts-expect-error: not a reason a message is dropped for
      if (reason === 'stale') return
    })
  })

  test('an unknown event name is refused', () => {
    // @ts-expect-error: no such event
    client().on('reconnected', () => {})
  })

  test('DeliveryStatus is the union of the status constants, re-exported here', () => {
    expectTypeOf<DeliveryStatus>().toEqualTypeOf<0 | 1 | 2 | 3 | 4>()
    expectTypeOf<typeof SDELIVERED>().toEqualTypeOf<1>()
  })
})
