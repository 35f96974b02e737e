/**
 * The public API of @x/robust as the contract names it, checked by the type checker (and run by
 * vitest, so a renamed or retyped member fails the suite).
 */
import { describe, expectTypeOf, test } from 'vitest'
import type { MqttError, MqttPayload, Payload, QoS } from '@x/simple'
import {
  RobustClient,
  type DropReason,
  type Message,
  type MessageInfo,
  type ReconnectInfo,
  type RobustEvents,
  type RobustOptions,
  type Response,
} from '../src/index.js'
import type { Connack, DisconnectProperties, PublishProperties, WillProperties } from '@x/simple'

describe('RobustClient', () => {
  test('methods and their results', () => {
    expectTypeOf(RobustClient).constructorParameters.toEqualTypeOf<[options: RobustOptions]>()
    expectTypeOf<RobustClient['connect']>().toEqualTypeOf<(options?: { signal?: AbortSignal }) => Promise<boolean>>()
    expectTypeOf<RobustClient['publish']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<RobustClient['subscribe']>().returns.toEqualTypeOf<Promise<QoS>>()
    expectTypeOf<RobustClient['unsubscribe']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<RobustClient['close']>()
      .parameter(0)
      .toEqualTypeOf<{ flushTimeoutMs?: number; reasonCode?: number; properties?: DisconnectProperties } | undefined>()
    expectTypeOf<RobustClient['close']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<RobustClient['request']>().returns.toEqualTypeOf<Promise<Response>>()
    expectTypeOf<Response>().toEqualTypeOf<{ topic: string; payload: MqttPayload; properties: PublishProperties }>()
    expectTypeOf<RobustClient['respond']>().parameter(0).toEqualTypeOf<MessageInfo>()
    expectTypeOf<RobustClient['queued']>().toEqualTypeOf<number>()
    expectTypeOf<RobustClient['inFlight']>().toEqualTypeOf<number>()
    expectTypeOf<RobustClient['isConnected']>().toEqualTypeOf<boolean>()
  })

  test('events and their arguments', () => {
    expectTypeOf<RobustEvents['connect']>().toEqualTypeOf<[sessionPresent: boolean, server: string, connack?: Connack]>()
    expectTypeOf<RobustClient['server']>().toEqualTypeOf<string>()
    expectTypeOf<RobustEvents['disconnect']>().toEqualTypeOf<[error: MqttError]>()
    expectTypeOf<RobustEvents['reconnecting']>().toEqualTypeOf<[info: ReconnectInfo]>()
    expectTypeOf<ReconnectInfo>().toEqualTypeOf<{ attempt: number; delayMs: number; error: MqttError; server: string }>()
    expectTypeOf<RobustEvents['message']>().toEqualTypeOf<[topic: string, payload: MqttPayload, info: MessageInfo]>()
    expectTypeOf<MessageInfo>().toEqualTypeOf<{ retained: boolean; dup: boolean; qos: QoS; properties?: PublishProperties }>()
    expectTypeOf<RobustEvents['drop']>().toEqualTypeOf<[message: Message, reason: DropReason]>()
    expectTypeOf<DropReason>().toEqualTypeOf<'overflow' | 'offline' | 'oversize' | 'expired' | 'refused'>()
    expectTypeOf<RobustEvents['error']>().toEqualTypeOf<[error: MqttError | Error]>()
  })

  test('options: every simple option, and the robust ones', () => {
    expectTypeOf<RobustOptions>().toHaveProperty('clientId')
    expectTypeOf<RobustOptions>().toHaveProperty('server')
    expectTypeOf<RobustOptions>().toHaveProperty('keepaliveSec')
    expectTypeOf<NonNullable<RobustOptions['reconnect']>>().toEqualTypeOf<{
      minDelayMs?: number
      maxDelayMs?: number
      factor?: number
      jitter?: boolean
      stableAfterMs?: number
    }>()
    expectTypeOf<NonNullable<RobustOptions['queue']>>().toEqualTypeOf<{
      maxMessages?: number
      maxBytes?: number
      keepQos0?: boolean
      overflow?: 'drop-oldest' | 'drop-newest' | 'reject'
    }>()
    expectTypeOf<RobustOptions['cleanSession']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<RobustOptions['resubscribe']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<RobustOptions['maxInFlight']>().toEqualTypeOf<number | undefined>()
    expectTypeOf<NonNullable<RobustOptions['will']>>().toEqualTypeOf<{
      topic: string
      payload: Payload
      qos?: QoS
      retain?: boolean
      properties?: WillProperties
    }>()
  })
})
