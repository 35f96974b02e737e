import { nodeTransport } from '#tcp'
import { runtimeWebSocket } from '#websocket'
import type { Transport } from './link.js'

/**
 * The transport a client uses unless given one: MQTT over WebSocket for `ws://` / `wss://`,
 * else TCP/TLS. Which implementation each is depends on the runtime, chosen by the package's
 * `imports` conditions: in a browser the page's `WebSocket` (and no TCP), in Node `node:net` /
 * `node:tls` and the `ws` package. So a browser bundle holds no `node:` module.
 */
export const defaultTransport: Transport = (target, handlers, signal) =>
  (target.path === undefined ? nodeTransport : runtimeWebSocket)(target, handlers, signal)
