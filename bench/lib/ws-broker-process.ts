/**
 * aedes serving MQTT over WebSocket, in a process of its own (as mosquitto runs for the TCP
 * rows), so that the broker's work is not timed as the clients'. Prints its ws:// URL as the
 * first line, and stops when its standard input closes (its parent went away or asked).
 *
 *   node --import tsx lib/ws-broker-process.ts
 */
import { startEmbeddedBroker } from '../../examples/lib/embedded-broker.js'

const broker = await startEmbeddedBroker({ websocket: true })
console.log(broker.wsUrl)
process.stdin.resume()
process.stdin.on('close', () => void broker.close().then(() => process.exit(0)))
