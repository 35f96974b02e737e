import { encodeAck } from './ack.js'
import { encodeConnack } from './connack.js'
import { encodeConnect } from './connect.js'
import { DISCONNECT, PINGREQ, PINGRESP } from './empty.js'
import type { Packet } from './packet.js'
import { encodePublish } from './publish.js'
import { encodeSuback } from './suback.js'
import { encodeSubscribe } from './subscribe.js'
import { encodeUnsubscribe } from './unsubscribe.js'

/**
 * Any packet, either direction, as bytes. The client calls the per-type encoders instead, so a
 * bundle carries only what a client sends.
 */
export function encode(p: Packet): Uint8Array {
  switch (p.type) {
    case 'connect':
      return encodeConnect(p)
    case 'connack':
      return encodeConnack(p)
    case 'publish':
      return encodePublish(p)
    case 'subscribe':
      return encodeSubscribe(p)
    case 'suback':
      return encodeSuback(p)
    case 'unsubscribe':
      return encodeUnsubscribe(p)
    case 'pingreq':
      return PINGREQ.slice()
    case 'pingresp':
      return PINGRESP.slice()
    case 'disconnect':
      return DISCONNECT.slice()
    default:
      return encodeAck(p.type, p.pid)
  }
}
