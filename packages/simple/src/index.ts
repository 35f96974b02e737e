/**
 * @x/simple: a minimal MQTT 3.1.1 client with umqtt.simple2's semantics for async/await,
 * plus the pure codec it is built on.
 */
export {
  MqttClient,
  type MessageCallback,
  type StatusCallback,
  type OversizeCallback,
  type PacketCallback,
  type AckProperties,
  type Connack,
  type PublishOptions,
  type SubscribeOptions,
} from './client/client.js'
export type { ClientOptions, AuthChallenge } from './client/options.js'
export type { Session } from './client/session.js'
export { printableUrl } from './client/printable.js'
export type { Link, LinkHandlers, Target, TlsOptions, Transport } from './transport/link.js'
export { nodeTransport } from '#tcp'
export { defaultTransport } from './transport/default.js'
export { webSocketTransport, type WebSocketLike, type OpenWebSocket, type ExplainFailure } from './transport/websocket.js'
export { tracedTransport, type TraceLog, type TraceReading } from './transport/traced.js'
export * from './codec/v4.js'
export type * from './codec/v5/index.js'
export * from '@x/errno'
export { topicOf, qosOf, bytesOf, type Payload } from './client/arguments.js'
