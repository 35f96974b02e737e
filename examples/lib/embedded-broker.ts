/**
 * An MQTT broker inside this process (aedes), on a free loopback port, so the examples run with
 * no broker installed and no network. Plain TCP, or TLS with the given certificate; optionally
 * with user names and passwords.
 */
import net from 'node:net'
import tls from 'node:tls'
import { Aedes } from 'aedes'

export interface EmbeddedBrokerOptions {
  /** Serve TLS with this certificate and key (PEM). */
  tls?: { cert: string; key: string; ca?: string; requestCert?: boolean }
  /** Accept only these users (name → password). */
  users?: Record<string, string>
  /** Port to listen on. @default 0 (a free one) */
  port?: number
  host?: string
}

export interface EmbeddedBroker {
  broker: Aedes
  host: string
  port: number
  /** `mqtt://127.0.0.1:port` or `mqtts://localhost:port`. */
  url: string
  /** Closes every connection and the listener; resolves when all is released. */
  close(): Promise<void>
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const { users } = options
  const broker = await Aedes.createBroker(
    users
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = username !== undefined && users[username] !== undefined && password?.toString() === users[username]
            if (ok) return done(null, true)
            // CONNACK 4: bad user name or password.
            done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }), false)
          },
        }
      : {},
  )
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
  return {
    broker,
    host,
    port,
    url: options.tls ? `mqtts://localhost:${port}` : `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
      await new Promise<void>((resolve) => broker.close(() => resolve()))
    },
  }
}
