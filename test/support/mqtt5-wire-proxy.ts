/**
 * A TCP proxy that reads the MQTT 5.0 it forwards: every packet that crosses, both ways, is
 * decoded (with the codec) and kept, with the byte counts, and the proxy counts the client's
 * unacknowledged QoS 1 and 2 PUBLISHes as they are on the wire (a PUBLISH passed towards the
 * broker, not yet answered by PUBACK, PUBCOMP or a refusing PUBREC passed back). Nothing is
 * changed or delayed: it only watches.
 *
 * ```ts
 * const wire = await startWireProxy(mosquitto.ports.plain)
 * const client = new MqttClient({ clientId: 'c', server: wire.url, protocolVersion: 5 })
 * wire.sent('publish')      // the PUBLISH packets the client sent
 * wire.maxUnacked           // the most QoS 1/2 PUBLISHes unacknowledged at once
 * await wire.close()
 * ```
 */
import net from 'node:net'
import { fromClientV5, fromServerV5, PacketDecoderV5, type ClientPacketV5, type ServerPacketV5 } from '@x/simple/codec'

export interface WireProxy {
  readonly port: number
  readonly url: string
  /** Packets client → broker, in order, over every connection. */
  readonly up: ClientPacketV5[]
  /** Packets broker → client, in order, over every connection. */
  readonly down: ServerPacketV5[]
  /** Bytes forwarded client → broker and broker → client. */
  readonly bytes: { up: number; down: number }
  /** The client's QoS 1/2 PUBLISHes unacknowledged now, and the most at any moment. */
  readonly unacked: number
  readonly maxUnacked: number
  /** A stream that could not be decoded (the proxy then stops reading that direction's packets). */
  readonly errors: unknown[]
  sent<T extends ClientPacketV5['type']>(type: T): Array<ClientPacketV5 & { type: T }>
  received<T extends ServerPacketV5['type']>(type: T): Array<ServerPacketV5 & { type: T }>
  close(): Promise<void>
}

export async function startWireProxy(targetPort: number): Promise<WireProxy> {
  const up: ClientPacketV5[] = []
  const down: ServerPacketV5[] = []
  const bytes = { up: 0, down: 0 }
  const errors: unknown[] = []
  const sockets = new Set<net.Socket>()
  let unacked = 0
  let maxUnacked = 0
  let connections = 0

  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const id = connections++
    const broker = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true, noDelay: true })
    client.setNoDelay(true)
    for (const s of [client, broker]) {
      sockets.add(s)
      s.on('error', () => {})
      s.once('close', () => sockets.delete(s))
    }
    // Per connection: a packet id names a different message on the next connection.
    const pending = new Set<number>()
    const ended = (pid: number): void => {
      if (pending.delete(pid)) unacked--
    }
    const upDecoder = new PacketDecoderV5(fromClientV5)
    const downDecoder = new PacketDecoderV5(fromServerV5)
    let upBroken = false
    let downBroken = false
    client.on('data', (chunk: Buffer) => {
      bytes.up += chunk.length
      if (!upBroken) {
        try {
          for (const p of upDecoder.push(chunk)) {
            up.push(p)
            if (p.type === 'publish' && p.qos > 0 && p.pid !== undefined && !pending.has(p.pid)) {
              pending.add(p.pid)
              maxUnacked = Math.max(maxUnacked, ++unacked)
            }
          }
        } catch (error) {
          upBroken = true
          errors.push({ connection: id, direction: 'up', error })
        }
      }
      broker.write(chunk)
    })
    broker.on('data', (chunk: Buffer) => {
      bytes.down += chunk.length
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
      client.write(chunk)
    })
    client.on('end', () => broker.end())
    broker.on('end', () => client.end())
    client.once('close', () => {
      broker.destroy()
      unacked -= pending.size
      pending.clear()
    })
    broker.once('close', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    up,
    down,
    bytes,
    errors,
    get unacked() {
      return unacked
    },
    get maxUnacked() {
      return maxUnacked
    },
    sent: (type) => up.filter((p) => p.type === type) as never,
    received: (type) => down.filter((p) => p.type === type) as never,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
