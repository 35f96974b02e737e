/**
 * The public API of @x/simple as the contract names it, checked by the type checker (and run by
 * vitest, so a renamed or retyped member fails the suite): code outside the repo calls these.
 */
import { describe, expectTypeOf, test } from 'vitest'
import {
  MqttClient,
  MqttPayload,
  SDELIVERED,
  SLOST,
  SREFUSED,
  STIMEOUT,
  SUNKNOWNPID,
  describePacket,
  topicMatches,
  tracedTransport,
  type ClientOptions,
  type Packet,
  type TraceLog,
  type TraceReading,
  type Transport,
  type DeliveryStatus,
  type MessageCallback,
  type OversizeCallback,
  type QoS,
  type StatusCallback,
  type AckProperties,
  type PublishOptions,
  type SubscribeOptions,
  type PublishProperties,
  type WillProperties,
  type Connack,
  type DisconnectProperties,
  type UnsubscribeProperties,
} from '@x/simple'

describe('MqttClient', () => {
  test('methods and their results', () => {
    expectTypeOf(MqttClient).constructorParameters.toEqualTypeOf<[options: ClientOptions]>()
    expectTypeOf<MqttClient['connect']>().returns.toEqualTypeOf<Promise<boolean>>()
    expectTypeOf<MqttClient['connect']>().parameter(0).toEqualTypeOf<{ cleanSession?: boolean; signal?: AbortSignal } | undefined>()
    expectTypeOf<MqttClient['publish']>().returns.toEqualTypeOf<Promise<number | undefined>>()
    expectTypeOf<MqttClient['publish']>().parameter(2).toEqualTypeOf<PublishOptions | undefined>()
    expectTypeOf<PublishOptions>().toEqualTypeOf<{ qos?: QoS; retain?: boolean; dup?: boolean; properties?: PublishProperties }>()
    expectTypeOf<MqttClient['subscribe']>().parameter(1).toEqualTypeOf<SubscribeOptions | undefined>()
    expectTypeOf<SubscribeOptions>().toHaveProperty('noLocal')
    expectTypeOf<SubscribeOptions>().toHaveProperty('retainAsPublished')
    expectTypeOf<SubscribeOptions>().toHaveProperty('retainHandling')
    expectTypeOf<MqttClient['unsubscribe']>().parameter(1).toEqualTypeOf<{ properties?: UnsubscribeProperties } | undefined>()
    expectTypeOf<MqttClient['disconnect']>().parameter(0).toEqualTypeOf<{ reasonCode?: number; properties?: DisconnectProperties } | undefined>()
    expectTypeOf<MqttClient['connack']>().toEqualTypeOf<Connack | undefined>()
    expectTypeOf<MqttClient['clientId']>().toEqualTypeOf<string>()
    expectTypeOf<MqttClient['subscribe']>().returns.toEqualTypeOf<Promise<number>>()
    expectTypeOf<MqttClient['unsubscribe']>().returns.toEqualTypeOf<Promise<number>>()
    expectTypeOf<MqttClient['checkMsg']>().returns.toEqualTypeOf<number>()
    expectTypeOf<MqttClient['waitMsg']>().toEqualTypeOf<(timeoutMs?: number) => Promise<number>>()
    expectTypeOf<MqttClient['ping']>().returns.toEqualTypeOf<void>()
    expectTypeOf<MqttClient['disconnect']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<MqttClient['isConnected']>().toEqualTypeOf<boolean>()
    expectTypeOf<MqttClient['setLastWill']>().parameters.toEqualTypeOf<
      [
        topic: string,
        payload: string | Uint8Array | ArrayBuffer | ArrayBufferView,
        options?: { qos?: QoS; retain?: boolean; properties?: WillProperties },
      ]
    >()
  })

  test('callbacks: the message callback gets the QoS, the status callback the SUBACK code', () => {
    expectTypeOf<MessageCallback>().parameters.toEqualTypeOf<
      [topic: string, payload: MqttPayload, retained: boolean, dup: boolean, qos: QoS, properties?: PublishProperties]
    >()
    // The payload is a Uint8Array, as the contract says (whose toString() is its text).
    expectTypeOf<MqttPayload>().toExtend<Uint8Array>()
    expectTypeOf<StatusCallback>().parameters.toEqualTypeOf<[pid: number, status: DeliveryStatus, code?: number, properties?: AckProperties]>()
    expectTypeOf<OversizeCallback>().parameters.toEqualTypeOf<[topic: string, bytes: number, qos: QoS, retained: boolean]>()
    expectTypeOf<MqttClient['setCallback']>().parameter(0).toEqualTypeOf<MessageCallback>()
    expectTypeOf<MqttClient['setCallbackStatus']>().parameter(0).toEqualTypeOf<StatusCallback>()
  })

  test('options', () => {
    expectTypeOf<ClientOptions['clientId']>().toEqualTypeOf<string>()
    expectTypeOf<ClientOptions['server']>().toEqualTypeOf<string>()
    expectTypeOf<ClientOptions>().toHaveProperty('port')
    expectTypeOf<ClientOptions>().toHaveProperty('keepaliveSec')
    expectTypeOf<ClientOptions>().toHaveProperty('socketTimeoutMs')
    expectTypeOf<ClientOptions>().toHaveProperty('messageTimeoutMs')
    expectTypeOf<ClientOptions>().toHaveProperty('tls')
    expectTypeOf<ClientOptions>().toHaveProperty('user')
    expectTypeOf<ClientOptions>().toHaveProperty('password')
    expectTypeOf<ClientOptions['protocolVersion']>().toEqualTypeOf<4 | 5 | undefined>()
    expectTypeOf<ClientOptions>().toHaveProperty('properties')
    expectTypeOf<ClientOptions>().toHaveProperty('topicAliases')
    expectTypeOf<ClientOptions>().toHaveProperty('onAuth')
  })
})

test('delivery status values are the literal numbers of the contract', () => {
  expectTypeOf<typeof STIMEOUT>().toEqualTypeOf<0>()
  expectTypeOf<typeof SDELIVERED>().toEqualTypeOf<1>()
  expectTypeOf<typeof SUNKNOWNPID>().toEqualTypeOf<2>()
  expectTypeOf<typeof SREFUSED>().toEqualTypeOf<3>()
  expectTypeOf<typeof SLOST>().toEqualTypeOf<4>()
  expectTypeOf<DeliveryStatus>().toEqualTypeOf<0 | 1 | 2 | 3 | 4>()
  expectTypeOf(topicMatches).toEqualTypeOf<(filter: string, topic: string) => boolean>()
})

test('the debug channel: a transport wrapper and a one-line packet description', () => {
  expectTypeOf(tracedTransport).toEqualTypeOf<(transport: Transport, log: TraceLog, reading?: TraceReading) => Transport>()
  expectTypeOf<TraceLog>().toEqualTypeOf<(line: string) => void>()
  expectTypeOf(describePacket).toEqualTypeOf<(p: Packet) => string>()
})
