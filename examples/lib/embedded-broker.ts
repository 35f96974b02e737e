/**
 * An MQTT broker inside this process (aedes), on a free loopback port, so the examples run with
 * no broker installed and no network. Plain TCP, or TLS with the given certificate; optionally
 * with user names and passwords; optionally MQTT over WebSocket too (the `ws` package), on a
 * port of its own or on a web server the caller runs (the web page example serves its page and
 * the broker on one port).
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import type { Duplex } from 'node:stream'
import { Aedes, type AedesOptions } from 'aedes'
import { createWebSocketStream, WebSocketServer } from 'ws'

export interface EmbeddedBrokerOptions {
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean }
  /** Accept only these users (name → password). */
  users?: Record<string, string>
  /** Port to listen on. @default 0 (a free one) */
  port?: number
  host?: string
  /**
   * Serve MQTT over WebSocket as well, at `/mqtt` (subprotocol `mqtt`): `true` on a free port of
   * its own (TLS when `tls` is set: wss://), or `{ server }` on that web server's upgrades, or
   * `{ port }` on that port.
   */
  websocket?: boolean | { server: http.Server | https.Server } | { port: number }
  /**
   * aedes's own options, for a cluster: brokers given the same `mq` (message bus) and
   * `persistence` (sessions, retained messages) act as nodes of one broker (see cluster.ts).
   */
  aedes?: Pick<AedesOptions, 'mq' | 'persistence'>
}

export interface EmbeddedBroker {
  broker: Aedes
  host: string
  port: number
  /** `mqtt://127.0.0.1:port` or `mqtts://localhost:port`. */
  url: string
  /** With `websocket`: the port of its WebSocket listener and `ws://127.0.0.1:port/mqtt` (or `wss://localhost:…`). */
  wsPort: number | undefined
  wsUrl: string | undefined
  /** Closes every connection and the listener; resolves when all is released. */
  close(): Promise<void>
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const { users } = options
  const broker = await Aedes.createBroker({
    ...options.aedes,
    ...(users
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = username !== undefined && users[username] !== undefined && password?.toString() === users[username]
            if (ok) return done(null, true)
            // CONNACK 4: bad user name or password.
            done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }), false)
          },
        }
      : {}),
  })
  const sockets = new Set<net.Socket>()
  const handle = (socket: net.Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    broker.handle(socket)
  }
  const server = options.tls ? tls.createServer({ ...options.tls }, handle) : net.createServer(handle)
  const host = options.host ?? '127.0.0.1'
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  const ws = options.websocket ? await serveWebSocket(options, host, (stream) => broker.handle(stream)) : undefined
  const address = `${host.includes(':') ? `[${host}]` : host}`
  return {
    broker,
    host,
    port,
    url: options.tls ? `mqtts://localhost:${port}` : `mqtt://${address}:${port}`,
    wsPort: ws?.port,
    wsUrl: ws && (options.tls ? `wss://localhost:${ws.port}/mqtt` : `ws://${address}:${ws.port}/mqtt`),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
      await ws?.close()
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    },
  }
}

/** MQTT over WebSocket in front of `handle`: each connection at /mqtt becomes a byte stream for aedes. */
async function serveWebSocket(
  options: EmbeddedBrokerOptions,
  host: string,
  handle: (stream: Duplex) => void,
): Promise<{ port: number; close(): Promise<void> }> {
  const given = typeof options.websocket === 'object' && 'server' in options.websocket ? options.websocket.server : undefined
  const web = given ?? (options.tls ? https.createServer({ ...options.tls }) : http.createServer())
  // The broker picks "mqtt" from what the client offers [MQTT-6.0.0-4]; none offered is refused.
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has('mqtt') ? 'mqtt' : false),
  })
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/mqtt')
      return void socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
    wss.handleUpgrade(request, socket, head, (client) => handle(createWebSocketStream(client)))
  }
  web.on('upgrade', onUpgrade)
  if (!given) {
    const port = typeof options.websocket === 'object' && 'port' in options.websocket ? options.websocket.port : 0
    await new Promise<void>((resolve, reject) => {
      web.once('error', reject)
      web.listen(port, host, () => resolve())
    })
  }
  return {
    port: (web.address() as net.AddressInfo).port,
    close: async () => {
      web.off('upgrade', onUpgrade)
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      if (!given) {
        web.closeAllConnections()
        await new Promise<void>((resolve) => web.close(() => resolve()))
      }
    },
  }
}
