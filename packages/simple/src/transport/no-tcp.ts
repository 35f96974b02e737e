import { MqttError } from '@x/errno'
import { addressOf, type Transport } from './link.js'

/** In a browser, in place of Node's TCP/TLS transport: says why not, and what to connect to instead. */
export const nodeTransport: Transport = ({ host, port }) =>
  Promise.reject(
    new MqttError(
      'EOPTION',
      `Cannot connect to ${addressOf(host, port)}: a browser cannot open TCP connections; connect to the broker's WebSocket listener (ws://host:port/mqtt or wss://…)`,
      { operation: 'connect' },
    ),
  )
