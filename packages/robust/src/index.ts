/**
 * @x/robust: an MQTT 3.1.1 client for flaky links, built on @x/simple's public API. It reconnects
 * with backoff, queues what is published while offline, resends what was in flight, subscribes
 * again, and delivers messages as events.
 */
export { RobustClient } from './robust-client.js'
export { MemoryStore, type Store, type StoreOp } from './store.js'
export type { RobustEvents, Message, MessageInfo, ReconnectInfo, DropReason, RestoredInfo } from './events.js'
export type { Response, RequestOptions } from './requests.js'
export {
  DEFAULT_QUEUE,
  DEFAULT_RECONNECT,
  retryOptionsOf,
  type RobustOptions,
  type ReconnectOptions,
  type QueueOptions,
  type OverflowPolicy,
  type SimpleClient,
} from './options.js'
export { BoundedQueue, type PushResult, type Sized } from './queue.js'
// The error class and the types the events carry, so a listener's types need no second import.
export { MqttError, isMqttError, type DeliveryStatus, type ErrorCode, type MqttPayload, type QoS } from '@x/simple'
