/**
 * A broker on a fixed port that can be stopped (as a crash would stop it) and started again with
 * no memory of sessions: aedes in this process (over TCP, or over WebSocket for `aedes-ws`), or
 * the mosquitto daemon killed with SIGKILL.
 */
import { startEmbeddedBroker, type EmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import type { BrokerName } from './brokers.js'
import { startMosquitto, type Mosquitto } from './mosquitto.js'
import { isAlive } from './processes.js'
import { waitFor } from './wait.js'

export interface Restartable {
  url: string
  port: number
  /** Whether `url` is MQTT over WebSocket. */
  websocket: boolean
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export async function restartable(name: BrokerName): Promise<Restartable> {
  if (name === 'mosquitto') {
    const daemon: Mosquitto = await startMosquitto()
    return {
      url: daemon.urls.plain,
      port: daemon.ports.plain,
      websocket: false,
      // Without persistence, a restarted mosquitto has no sessions and no retained messages.
      down: async () => {
        process.kill(daemon.pid, 'SIGKILL')
        await waitFor(() => !isAlive(daemon.pid), 'mosquitto to exit')
      },
      up: () => daemon.restart(),
      close: () => daemon.stop(),
    }
  }
  const websocket = name === 'aedes-ws'
  let embedded: EmbeddedBroker | undefined = await startEmbeddedBroker(websocket ? { websocket: true } : {})
  // Over WebSocket, the TCP listener is on a free port each time; the WebSocket one stays.
  const port = websocket ? (embedded.wsPort as number) : embedded.port
  return {
    url: websocket ? (embedded.wsUrl as string) : embedded.url,
    port,
    websocket,
    down: async () => {
      await embedded?.close()
      embedded = undefined
    },
    up: async () => {
      embedded = await startEmbeddedBroker(websocket ? { websocket: { port } } : { port })
    },
    close: async () => {
      await embedded?.close()
    },
  }
}
