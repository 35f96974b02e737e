/**
 * MQTT over WebSocket to a broker that speaks it only over TCP: a `ws` server on a free loopback
 * port whose every connection is piped, byte for byte, to the broker's TCP port. The footprint's
 * MQTT 5 browser programs reach the mosquitto daemon through it (aedes speaks only 3.1.1, and
 * mosquitto's websockets listener does not start on these machines); the bridge reads nothing of
 * what it carries.
 */
import { createRequire } from 'node:module'
import net from 'node:net'
import type { Duplex } from 'node:stream'

// bench/ has ws but not its types: the little of them used here.
interface WsServer {
  clients: Set<{ terminate(): void }>
  once(event: 'listening' | 'error', listener: (error?: Error) => void): WsServer
  on(event: 'connection', listener: (ws: unknown) => void): void
  address(): net.AddressInfo
  close(done: () => void): void
}
const { WebSocketServer, createWebSocketStream } = createRequire(import.meta.url)('ws') as {
  WebSocketServer: new (options: { host: string; port: number; handleProtocols: (asked: Set<string>) => string | false }) => WsServer
  createWebSocketStream: (ws: unknown) => Duplex
}

export interface WebSocketBridge {
  /** `ws://127.0.0.1:port/mqtt` */
  url: string
  close(): Promise<void>
}

export async function startWebSocketBridge(tcpUrl: string): Promise<WebSocketBridge> {
  const { hostname, port } = new URL(tcpUrl)
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (asked: Set<string>) => (asked.has('mqtt') ? 'mqtt' : false),
  })
  await new Promise<void>((resolve, reject) => server.once('listening', () => resolve()).once('error', reject))
  const sockets = new Set<net.Socket>()
  server.on('connection', (ws) => {
    const stream = createWebSocketStream(ws)
    const tcp = net.connect({ host: hostname, port: Number(port) })
    sockets.add(tcp)
    const end = (): void => {
      sockets.delete(tcp)
      tcp.destroy()
      stream.destroy()
    }
    tcp.once('close', end).once('error', end)
    stream.once('close', end).once('error', end)
    stream.pipe(tcp).pipe(stream)
  })
  const address = server.address()
  return {
    url: `ws://127.0.0.1:${address.port}/mqtt`,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      for (const client of server.clients) client.terminate()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
