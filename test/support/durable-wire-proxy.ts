/**
 * A TCP proxy that reads the MQTT it forwards (3.1.1, or 5.0 when asked), packet by packet, for the crash tests: every
 * packet is decoded (PacketDecoder of @x/simple) and kept with the connection it crossed, and a
 * hook sees each packet from the broker before it is forwarded. When the hook answers `'hold'`,
 * that packet and everything after it on that connection stay in the proxy (never reach the
 * client): a test can SIGKILL the client at an exact point of an exchange, e.g. after PUBREC and
 * before PUBCOMP, and show on the wire that it did.
 *
 * ```ts
 * const wire = await startDurableWireProxy(mosquitto.ports.plain)
 * wire.onDown = (packet) => (packet.type === 'pubcomp' ? (child.killNow(), 'hold') : 'pass')
 * ```
 */
import net from 'node:net'
import { fromClient, fromServer, PacketDecoder, type ClientPacket, type ServerPacket } from '@x/simple'
import { fromClientV5, fromServerV5, PacketDecoderV5, type ClientPacketV5, type ServerPacketV5 } from '@x/simple/codec'

export interface WirePacket<P> {
  connection: number
  packet: P
  /** Reached the other side (false: held by the proxy). */
  forwarded: boolean
}

export interface DurableWireProxy<Up = ClientPacket, Down = ServerPacket> {
  readonly port: number
  readonly url: string
  readonly up: Array<WirePacket<Up>>
  readonly down: Array<WirePacket<Down>>
  /** Decoding failures (a stream that could not be read); expected empty. */
  readonly errors: unknown[]
  /** Sees each packet from the broker before it is forwarded; `'hold'` keeps it and the rest of that connection's stream. */
  onDown: (packet: Down, connection: number) => 'pass' | 'hold'
  close(): Promise<void>
}

/** Splits a byte stream into whole MQTT packets (fixed header, Remaining Length, body). */
function framer(): (chunk: Buffer) => Buffer[] {
  let buffer: Buffer = Buffer.alloc(0)
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk
    const packets: Buffer[] = []
    for (;;) {
      let length = 0
      let at = 1
      let complete = false
      for (let shift = 0; at < buffer.length && at <= 4; shift += 7) {
        const byte = buffer[at++] as number
        length += (byte & 0x7f) << shift
        if (!(byte & 0x80)) {
          complete = true
          break
        }
      }
      if (!complete || buffer.length < at + length) break
      packets.push(buffer.subarray(0, at + length))
      buffer = buffer.subarray(at + length)
    }
    return packets
  }
}

/** The packets of one protocol version, decoded one way or the other. */
interface Decoders<Up, Down> {
  up(): { push(bytes: Uint8Array): Iterable<Up> }
  down(): { push(bytes: Uint8Array): Iterable<Down> }
}

const V4: Decoders<ClientPacket, ServerPacket> = { up: () => new PacketDecoder(fromClient), down: () => new PacketDecoder(fromServer) }
const V5: Decoders<ClientPacketV5, ServerPacketV5> = {
  up: () => new PacketDecoderV5(fromClientV5),
  down: () => new PacketDecoderV5(fromServerV5),
}

export function startDurableWireProxy(targetPort: number): Promise<DurableWireProxy>
export function startDurableWireProxy(targetPort: number, version: 5): Promise<DurableWireProxy<ClientPacketV5, ServerPacketV5>>
export function startDurableWireProxy(
  targetPort: number,
  version: 4 | 5 = 4,
): Promise<DurableWireProxy | DurableWireProxy<ClientPacketV5, ServerPacketV5>> {
  return version === 5 ? proxyOf(targetPort, V5) : proxyOf(targetPort, V4)
}

async function proxyOf<Up, Down>(targetPort: number, decoders: Decoders<Up, Down>): Promise<DurableWireProxy<Up, Down>> {
  const sockets = new Set<net.Socket>()
  let connections = 0
  const proxy: DurableWireProxy<Up, Down> = {
    port: 0,
    url: '',
    up: [],
    down: [],
    errors: [],
    onDown: () => 'pass',
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = net.createServer((client) => {
    const connection = connections++
    const broker = net.connect({ port: targetPort, host: '127.0.0.1', noDelay: true })
    client.setNoDelay(true)
    for (const s of [client, broker]) {
      sockets.add(s)
      s.on('error', () => {})
      s.once('close', () => {
        sockets.delete(s)
        client.destroy()
        broker.destroy()
      })
    }
    const upFrames = framer()
    const downFrames = framer()
    const upDecoder = decoders.up()
    const downDecoder = decoders.down()
    let held = false
    client.on('data', (chunk: Buffer) => {
      broker.write(chunk)
      try {
        for (const bytes of upFrames(chunk))
          for (const packet of upDecoder.push(bytes)) proxy.up.push({ connection, packet, forwarded: true })
      } catch (error) {
        proxy.errors.push(error)
      }
    })
    broker.on('data', (chunk: Buffer) => {
      try {
        for (const bytes of downFrames(chunk)) {
          for (const packet of downDecoder.push(bytes)) {
            if (!held && proxy.onDown(packet, connection) === 'hold') held = true
            proxy.down.push({ connection, packet, forwarded: !held })
          }
          if (!held) client.write(bytes)
        }
      } catch (error) {
        proxy.errors.push(error)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return Object.assign(proxy, { port, url: `mqtt://127.0.0.1:${port}` })
}
