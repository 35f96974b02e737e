import { PINGREQ, PINGRESP } from '../empty.js'
import { encodeAckV5 } from './ack.js'
import { encodeConnackV5 } from './connack.js'
import { encodeConnectV5 } from './connect.js'
import { encodeAuthV5, encodeDisconnectV5 } from './disconnect.js'
import type { PacketV5 } from './packet.js'
import { encodePublishV5 } from './publish.js'
import { encodeListAckV5 } from './suback.js'
import { encodeSubscribeV5, encodeUnsubscribeV5 } from './subscribe.js'

/**
 * Any MQTT 5.0 packet, either direction, as bytes. Properties are written as given, in the
 * order of their object; a bad argument is an MqttError before any byte exists.
 */
export function encodeV5(p: PacketV5): Uint8Array {
  switch (p.type) {
    case 'connect':
      return encodeConnectV5(p)
    case 'connack':
      return encodeConnackV5(p)
    case 'publish':
      return encodePublishV5(p)
    case 'subscribe':
      return encodeSubscribeV5(p)
    case 'suback':
    case 'unsuback':
      return encodeListAckV5(p)
    case 'unsubscribe':
      return encodeUnsubscribeV5(p)
    case 'pingreq':
      return PINGREQ.slice()
    case 'pingresp':
      return PINGRESP.slice()
    case 'disconnect':
      return encodeDisconnectV5(p)
    case 'auth':
      return encodeAuthV5(p)
    default:
      return encodeAckV5(p)
  }
}
