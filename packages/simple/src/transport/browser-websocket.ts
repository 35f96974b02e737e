import { MqttError } from '@x/errno'
import type { Transport } from './link.js'
import { webSocketTransport, type WebSocketLike } from './websocket.js'

type WebSocketClass = new (url: string, protocols: string[]) => WebSocketLike

/**
 * The browser's own WebSocket. The browser checks the broker's certificate against its own
 * store, so TLS options cannot apply: refused with the reason rather than ignored.
 */
export const runtimeWebSocket: Transport = webSocketTransport((url, protocols, tls) => {
  const options = tls ? Object.keys(tls) : []
  if (options.length) {
    throw new MqttError(
      'EOPTION',
      `Cannot connect to ${url} with TLS options (${options.join(', ')}): a browser checks certificates itself; pass tls: true or none`,
      { operation: 'connect' },
    )
  }
  const WebSocket = (globalThis as { WebSocket?: WebSocketClass }).WebSocket
  if (!WebSocket) throw new MqttError('ENOCON', `Cannot connect to ${url}: this runtime has no WebSocket`, { operation: 'connect' })
  return new WebSocket(url, protocols)
})
