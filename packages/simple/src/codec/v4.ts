/**
 * The pure MQTT 3.1.1 codec: Uint8Array in, plain objects out and back. No `node:` imports, no
 * timers, so it runs in any JavaScript runtime. `@x/simple` exports it; `@x/simple/codec` adds 5.0's.
 */
export * from './packet.js'
export { encode } from './encode.js'
export { encodeConnect, decodeConnect } from './connect.js'
export { encodeConnack, decodeConnack } from './connack.js'
export { encodePublish, decodePublish, decodeSkippedPublish } from './publish.js'
export { encodeAck, decodeAck } from './ack.js'
export { encodeSubscribe, decodeSubscribe } from './subscribe.js'
export { encodeSuback, decodeSuback } from './suback.js'
export { encodeUnsubscribe, decodeUnsubscribe } from './unsubscribe.js'
export { PINGREQ, PINGRESP, DISCONNECT, decodeEmpty } from './empty.js'
export { PacketDecoder, type Direction, type BodyDecoder } from './decoder.js'
export { fromServer } from './from-server.js'
export { fromClient } from './from-client.js'
export { topicNameProblem, topicFilterProblem, topicMatches } from './topic.js'
export { utf8, utf8Length, fromUtf8, MAX_REMAINING_LENGTH } from './bytes.js'
export { Reader } from './reader.js'
export { MqttPayload } from './payload.js'
export { describePacket } from './describe.js'
