/**
 * The MQTT 5.0 control packets as plain objects. Decoded packets always carry `properties` (an
 * empty object when none came) and, where the packet has one, `reasonCode` (0 when the packet
 * left it out); to encode, both may be left out.
 */
import type { AckPacket, EmptyPacket, PublishPacket, Subscription, UnsubscribePacket, Will } from '../packet.js'
import type { PropertiesOf } from './properties.js'

export type ConnectProperties = PropertiesOf<'connect'>
export type WillProperties = PropertiesOf<'will'>
export type ConnackProperties = PropertiesOf<'connack'>
export type PublishProperties = PropertiesOf<'publish'>
/** PUBACK, PUBREC, PUBREL and PUBCOMP carry the same two: `reasonString`, `userProperties`. */
export type AckProperties = PropertiesOf<'puback'>
export type SubscribeProperties = PropertiesOf<'subscribe'>
export type SubackProperties = PropertiesOf<'suback'>
export type UnsubscribeProperties = PropertiesOf<'unsubscribe'>
export type UnsubackProperties = PropertiesOf<'unsuback'>
export type DisconnectProperties = PropertiesOf<'disconnect'>
export type AuthProperties = PropertiesOf<'auth'>

export interface WillV5 extends Will {
  properties?: WillProperties
}

export interface ConnectPacketV5 {
  type: 'connect'
  clientId: string
  /** Clean Start [MQTT-3.1.2-4]: MQTT 5.0's name for 3.1.1's Clean Session flag. */
  cleanStart: boolean
  keepaliveSec: number
  username?: string
  password?: Uint8Array
  will?: WillV5
  properties?: ConnectProperties
}

export interface ConnackPacketV5 {
  type: 'connack'
  sessionPresent: boolean
  reasonCode: number
  properties?: ConnackProperties
}

/** The 3.1.1 PUBLISH (never `oversize`: no v5 PUBLISH is skipped) with properties. */
export interface PublishPacketV5 extends Omit<PublishPacket, 'oversize'> {
  /** May be empty when `properties.topicAlias` stands for it (MQTT 5.0 §3.3.2.3.4). */
  topic: string
  properties?: PublishProperties
}

export type AckTypeV5 = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'

/** PUBACK, PUBREC, PUBREL, PUBCOMP: a packet id, a reason code, properties. */
export interface AckPacketV5<T extends AckTypeV5 = AckTypeV5> extends AckPacket<T> {
  reasonCode?: number
  properties?: AckProperties
}

export interface SubscriptionV5 extends Subscription {
  /** Not sent back to this client's own subscriptions [MQTT-3.8.3-3]. */
  noLocal?: boolean
  retainAsPublished?: boolean
  /** 0: send retained messages on subscribe; 1: only for a new subscription; 2: never. */
  retainHandling?: 0 | 1 | 2
}

export interface SubscribePacketV5 {
  type: 'subscribe'
  pid: number
  subscriptions: SubscriptionV5[]
  properties?: SubscribeProperties
}

export interface SubackPacketV5 {
  type: 'suback'
  pid: number
  /** One per filter subscribed: the granted QoS (0, 1, 2) or a refusal (≥ 0x80). */
  reasonCodes: number[]
  properties?: SubackProperties
}

export interface UnsubscribePacketV5 extends UnsubscribePacket {
  properties?: UnsubscribeProperties
}

export interface UnsubackPacketV5 {
  type: 'unsuback'
  pid: number
  /** One per filter unsubscribed: 0 (success), 0x11 (no subscription existed) or a refusal (≥ 0x80). */
  reasonCodes: number[]
  properties?: UnsubackProperties
}

export interface DisconnectPacketV5 {
  type: 'disconnect'
  reasonCode?: number
  properties?: DisconnectProperties
}

export interface AuthPacketV5 {
  type: 'auth'
  reasonCode?: number
  properties?: AuthProperties
}

/** Packets a broker sends to a client on MQTT 5.0. */
export type ServerPacketV5 =
  | ConnackPacketV5
  | PublishPacketV5
  | AckPacketV5
  | SubackPacketV5
  | UnsubackPacketV5
  | EmptyPacket<'pingresp'>
  | DisconnectPacketV5
  | AuthPacketV5

/** Packets a client sends to a broker on MQTT 5.0. */
export type ClientPacketV5 =
  | ConnectPacketV5
  | PublishPacketV5
  | AckPacketV5
  | SubscribePacketV5
  | UnsubscribePacketV5
  | EmptyPacket<'pingreq'>
  | DisconnectPacketV5
  | AuthPacketV5

export type PacketV5 = ServerPacketV5 | ClientPacketV5
