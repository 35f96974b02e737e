/**
 * Faults the examples cause on purpose, on the embedded broker, so that their error handling
 * can be seen offline.
 */
import type { EmbeddedBroker } from './embedded-broker.js'

interface AedesClient {
  close(done?: () => void): void
}

/**
 * Closes the connection of client `clientId` from the broker's side, as a Wi-Fi drop or a
 * broker restart would (no DISCONNECT: its last will is published). Returns whether it was
 * connected. aedes keeps its clients by id in `clients`, which its types do not declare.
 */
export function dropClient(embedded: EmbeddedBroker, clientId: string): boolean {
  const clients = (embedded.broker as unknown as { clients: Record<string, AedesClient | undefined> }).clients
  const client = clients[clientId]
  client?.close()
  return client !== undefined
}
