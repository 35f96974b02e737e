/**
 * The MQTT 5.0 codec, beside the 3.1.1 one: the same fixed header, reader and writer, and
 * PacketDecoder; modules of its own, so a 3.1.1 program carries none of it.
 */
export type * from './packet.js'
export { encodeV5 } from './encode.js'
export { encodeConnectV5, decodeConnectV5 } from './connect.js'
export { encodeConnackV5, decodeConnackV5 } from './connack.js'
export { encodePublishV5, publishDecoderV5 } from './publish.js'
export { encodeAckV5, ackDecoderV5 } from './ack.js'
export { encodeSubscribeV5, decodeSubscribeV5, encodeUnsubscribeV5, decodeUnsubscribeV5 } from './subscribe.js'
export { encodeListAckV5, listAckDecoderV5 } from './suback.js'
export { encodeDisconnectV5, disconnectDecoderV5, encodeAuthV5, decodeAuthV5 } from './disconnect.js'
export { fromServerV5, fromClientV5 } from './direction.js'
export { PacketDecoderV5 } from './decoder.js'
export {
  PROPERTIES,
  encodeProperties,
  decodeProperties,
  type Properties,
  type PropertiesOf,
  type PropertyName,
  type PropertyPacket,
  type UserProperties,
  type WireType,
} from './properties.js'
export { REASON_CODES, isReasonCode, type ReasonPacket } from './reason-codes.js'
export { reasonName, reasonWords } from './reason-names.js'
export { ReaderV5 } from './reader.js'
export { varint } from './write.js'
export { inboundError, type MqttErrorV5, MALFORMED, PROTOCOL_ERROR, TOPIC_ALIAS_INVALID, PACKET_TOO_LARGE } from './errors.js'
