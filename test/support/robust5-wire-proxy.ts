/**
 * A TCP proxy that reads the MQTT 5.0 it forwards, for the @x/robust v5 tests: every packet that
 * crosses is decoded (with @x/simple's codec) and kept, and the client's unacknowledged QoS 1/2
 * PUBLISHes are counted as they are on the wire: a PUBLISH passed towards the broker, not yet
 * answered by a PUBACK, a PUBCOMP or a refusing PUBREC passed back. It changes and delays nothing.
 *
 * ```ts
 * const wire = await startRobust5WireProxy(mosquitto.ports.plain)
 * const client = new RobustClient({ clientId: 'c', server: wire.url, protocolVersion: 5 })
 * wire.maxUnacked          // the most QoS 1/2 PUBLISHes unacknowledged at once, on any connection
 * wire.sent('subscribe')   // the SUBSCRIBE packets clients sent, over every connection
 * wire.cut()               // resets every connection (both sides), like fault-proxy's cut()
 * await wire.close()
 * ```
 *
 * Counting is per connection (a packet id names another message on the next one); a connection
 * that closes takes its unacknowledged PUBLISHes with it.
 */
import net from 'node:net'
import { fromClientV5, fromServerV5, PacketDecoderV5, type ClientPacketV5, type ServerPacketV5 } from '@x/simple/codec'

export interface Robust5WireProxy {
  readonly port: number
  readonly url: string
  /** Packets client → broker, in order, over every connection. */
  readonly up: ClientPacketV5[]
  /** Packets broker → client, in order, over every connection. */
  readonly down: ServerPacketV5[]
  /** QoS 1/2 PUBLISHes from clients unacknowledged now (all connections), and the most at any moment on one connection. */
  readonly unacked: number
  readonly maxUnacked: number
  /** Streams that could not be decoded (that direction of that connection is then only forwarded). */
  readonly errors: unknown[]
  /** Connections accepted so far. */
  readonly connections: number
  sent<T extends ClientPacketV5['type']>(type: T): Array<Extract<ClientPacketV5, { type: T }>>
  received<T extends ServerPacketV5['type']>(type: T): Array<Extract<ServerPacketV5, { type: T }>>
  /** Resets every current connection, both sides. Returns how many. */
  cut(): number
  close(): Promise<void>
}

/** A reset (RST) where libuv allows one (not while connecting, nor after a FIN went out), else a plain destroy. */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return
  if (socket.connecting || socket.pending || socket.writableEnded) socket.destroy()
  else socket.resetAndDestroy()
}

export async function startRobust5WireProxy(targetPort: number): Promise<Robust5WireProxy> {
  const up: ClientPacketV5[] = []
  const down: ServerPacketV5[] = []
  const errors: unknown[] = []
  const pairs = new Set<{ client: net.Socket; broker: net.Socket }>()
  let unacked = 0
  let maxUnacked = 0
  let connections = 0

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const id = connections++
    const broker = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true })
    client.setNoDelay(true)
    const pair = { client, broker }
    pairs.add(pair)
    for (const s of [client, broker]) s.on('error', () => {})
    const pending = new Set<number>()
    const ended = (pid: number): void => {
      if (pending.delete(pid)) unacked--
    }
    const upDecoder = new PacketDecoderV5(fromClientV5)
    const downDecoder = new PacketDecoderV5(fromServerV5)
    let upBroken = false
    let downBroken = false
    client.on('data', (chunk: Buffer) => {
      if (!upBroken) {
        try {
          for (const p of upDecoder.push(chunk)) {
            up.push(p)
            // A DUP resend of a pid still pending is the same message, not one more in flight.
            if (p.type === 'publish' && p.qos > 0 && p.pid !== undefined && !pending.has(p.pid)) {
              pending.add(p.pid)
              unacked++
              maxUnacked = Math.max(maxUnacked, pending.size)
            }
          }
        } catch (error) {
          upBroken = true
          errors.push({ connection: id, direction: 'up', error })
        }
      }
      if (!broker.destroyed) broker.write(chunk)
    })
    broker.on('data', (chunk: Buffer) => {
      if (!downBroken) {
        try {
          for (const p of downDecoder.push(chunk)) {
            down.push(p)
            if (p.type === 'puback' || p.type === 'pubcomp') ended(p.pid)
            if (p.type === 'pubrec' && (p.reasonCode ?? 0) >= 0x80) ended(p.pid)
          }
        } catch (error) {
          downBroken = true
          errors.push({ connection: id, direction: 'down', error })
        }
      }
      if (!client.destroyed) client.write(chunk)
    })
    client.on('end', () => broker.end())
    broker.on('end', () => client.end())
    const gone = (): void => {
      if (!pairs.delete(pair)) return
      client.destroy()
      broker.destroy()
      unacked -= pending.size
      pending.clear()
    }
    client.once('close', gone)
    broker.once('close', gone)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  const cut = (): number => {
    const n = pairs.size
    for (const { client, broker } of [...pairs]) for (const s of [client, broker]) reset(s)
    return n
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    up,
    down,
    errors,
    get unacked() {
      return unacked
    },
    get maxUnacked() {
      return maxUnacked
    },
    get connections() {
      return connections
    },
    sent: (type) => up.filter((p) => p.type === type) as never,
    received: (type) => down.filter((p) => p.type === type) as never,
    cut,
    close: async () => {
      cut()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
