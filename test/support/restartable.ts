/**
 * A broker on a fixed port that can be stopped (as a crash would stop it) and started again with
 * no memory of sessions: aedes in this process, or the mosquitto daemon killed with SIGKILL.
 */
import { startEmbeddedBroker, type EmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import type { BrokerName } from './brokers.js'
import { startMosquitto, type Mosquitto } from './mosquitto.js'
import { waitFor } from './wait.js'

export interface Restartable {
  url: string
  port: number
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
      // Without persistence, a restarted mosquitto has no sessions and no retained messages.
      down: async () => {
        process.kill(daemon.pid, 'SIGKILL')
        await waitFor(() => !isAlive(daemon.pid), 'mosquitto to exit')
      },
      up: () => daemon.restart(),
      close: () => daemon.stop(),
    }
  }
  let embedded: EmbeddedBroker | undefined = await startEmbeddedBroker()
  const port = embedded.port
  return {
    url: embedded.url,
    port,
    down: async () => {
      await embedded?.close()
      embedded = undefined
    },
    up: async () => {
      embedded = await startEmbeddedBroker({ port })
    },
    close: async () => {
      await embedded?.close()
    },
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
