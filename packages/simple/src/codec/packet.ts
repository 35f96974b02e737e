/**
 * The MQTT 3.1.1 control packets as plain objects. Every packet a client sends or receives has a
 * type here; the codec turns each into bytes and back.
 */

export type QoS = 0 | 1 | 2

/** The control packet type numbers, the high nibble of the first byte [MQTT-2.2.1]. */
export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const

export type PacketName = keyof typeof PacketType

export interface Will {
  topic: string
  payload: Uint8Array
  qos: QoS
  retain: boolean
}

export interface ConnectPacket {
  type: 'connect'
  clientId: string
  cleanSession: boolean
  keepaliveSec: number
  username?: string
  password?: Uint8Array
  will?: Will
}

export interface ConnackPacket {
  type: 'connack'
  sessionPresent: boolean
  returnCode: number
}

export interface PublishPacket {
  type: 'publish'
  topic: string
  payload: Uint8Array
  qos: QoS
  retain: boolean
  dup: boolean
  /** Present exactly when qos > 0. */
  pid?: number
  /**
   * Present when the packet was larger than the decoder's `maxPacketBytes`: its size in bytes.
   * Its payload was skipped, not buffered, and is empty here.
   */
  oversize?: number
}

export type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'

/** The four-byte packets that carry only a packet id. */
export interface AckPacket<T extends AckType = AckType> {
  type: T
  pid: number
}

export interface Subscription {
  filter: string
  qos: QoS
}

export interface SubscribePacket {
  type: 'subscribe'
  pid: number
  subscriptions: Subscription[]
}

export interface SubackPacket {
  type: 'suback'
  pid: number
  /** Granted QoS (0, 1, 2) or 0x80 for a refused filter, one per filter subscribed. */
  returnCodes: number[]
}

export interface UnsubscribePacket {
  type: 'unsubscribe'
  pid: number
  filters: string[]
}

export type EmptyType = 'pingreq' | 'pingresp' | 'disconnect'

/** The two-byte packets with no variable header or payload. */
export interface EmptyPacket<T extends EmptyType = EmptyType> {
  type: T
}

/** Packets a broker sends to a client. */
export type ServerPacket = ConnackPacket | PublishPacket | AckPacket | SubackPacket | EmptyPacket<'pingresp'>

/** Packets a client sends to a broker. */
export type ClientPacket =
  | ConnectPacket
  | PublishPacket
  | AckPacket<'puback' | 'pubrec' | 'pubrel' | 'pubcomp'>
  | SubscribePacket
  | UnsubscribePacket
  | EmptyPacket<'pingreq' | 'disconnect'>

export type Packet = ServerPacket | ClientPacket
