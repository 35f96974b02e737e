import type { ErrorCode } from '@x/errno'
import type { BodyDecoder, Direction } from '../decoder.js'
import type { EmptyPacket, EmptyType } from '../packet.js'
import { ackDecoderV5 } from './ack.js'
import { decodeConnackV5 } from './connack.js'
import { decodeConnectV5 } from './connect.js'
import { decodeAuthV5, disconnectDecoderV5 } from './disconnect.js'
import { MALFORMED } from './errors.js'
import type { ClientPacketV5, ServerPacketV5 } from './packet.js'
import { publishDecoderV5 } from './publish.js'
import { ReaderV5 } from './reader.js'
import { listAckDecoderV5 } from './suback.js'
import { decodeSubscribeV5, decodeUnsubscribeV5 } from './subscribe.js'

/**
 * A v5 body decoder as PacketDecoder calls it: the body read through a ReaderV5, so that every
 * failure carries its reason code. `name` is given because PacketDecoder knows no AUTH.
 */
function v5<P>(decode: (r: ReaderV5, first: number) => P, name: string, code?: ErrorCode): BodyDecoder<P> {
  return (r, first) => decode(new ReaderV5(r.rest(), name, code), first)
}

function empty<T extends EmptyType>(type: T): BodyDecoder<EmptyPacket<T>> {
  return v5((r) => {
    if (r.left) throw r.error(`Remaining Length ${r.left}, not 0`, MALFORMED, 'EREADLEN')
    return { type }
  }, type.toUpperCase())
}

/**
 * What a client receives on MQTT 5.0, for `PacketDecoder` (or `PacketDecoderV5`, which also puts
 * a reason code on the errors of the fixed header). No PUBLISH is skipped: one over the size
 * limit is EOVERSIZE, a Packet Too Large (0x95) on MQTT 5.0 [MQTT-3.1.2-24].
 */
export const fromServerV5: Direction<ServerPacketV5> = {
  sender: 'broker',
  decoders: {
    2: v5(decodeConnackV5, 'CONNACK', 'ECONLENGTH'),
    3: v5(publishDecoderV5('broker'), 'PUBLISH'),
    4: v5(ackDecoderV5('puback'), 'PUBACK'),
    5: v5(ackDecoderV5('pubrec'), 'PUBREC'),
    6: v5(ackDecoderV5('pubrel'), 'PUBREL'),
    7: v5(ackDecoderV5('pubcomp'), 'PUBCOMP'),
    9: v5(listAckDecoderV5('suback'), 'SUBACK'),
    11: v5(listAckDecoderV5('unsuback'), 'UNSUBACK'),
    13: empty('pingresp'),
    14: v5(disconnectDecoderV5('broker'), 'DISCONNECT'),
    15: v5(decodeAuthV5, 'AUTH'),
  },
}

/** What a broker receives on MQTT 5.0; for tests and tools that play the broker's side. */
export const fromClientV5: Direction<ClientPacketV5> = {
  sender: 'client',
  decoders: {
    1: v5(decodeConnectV5, 'CONNECT'),
    3: v5(publishDecoderV5('client'), 'PUBLISH'),
    4: v5(ackDecoderV5('puback'), 'PUBACK'),
    5: v5(ackDecoderV5('pubrec'), 'PUBREC'),
    6: v5(ackDecoderV5('pubrel'), 'PUBREL'),
    7: v5(ackDecoderV5('pubcomp'), 'PUBCOMP'),
    8: v5(decodeSubscribeV5, 'SUBSCRIBE'),
    10: v5(decodeUnsubscribeV5, 'UNSUBSCRIBE'),
    12: empty('pingreq'),
    14: v5(disconnectDecoderV5('client'), 'DISCONNECT'),
    15: v5(decodeAuthV5, 'AUTH'),
  },
}
