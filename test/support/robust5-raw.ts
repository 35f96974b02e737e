/**
 * A bare MQTT 5.0 client on a TCP socket, built from @x/simple's codec alone: it sends exactly
 * the packets a test gives it and keeps no rule of its own (no Receive Maximum, no PUBREL). For
 * leaving a broker in a state a well-behaved client never makes, before a RobustClient takes the
 * session over.
 *
 * ```ts
 * const raw = await connectRaw5(mosquitto.ports.plain, { clientId: 'dev', cleanStart: true })
 * raw.send({ type: 'publish', topic: 't', payload, qos: 2, pid: 1, retain: false, dup: false })
 * await raw.waitFor((p) => p.type === 'pubrec', 'a PUBREC')
 * await raw.crash()      // no DISCONNECT: the broker keeps the session as after a crash
 * ```
 */
import net from 'node:net'
import { encodeV5, fromServerV5, PacketDecoderV5, type ClientPacketV5, type ConnectPacketV5, type ServerPacketV5 } from '@x/simple/codec'
import { waitFor } from './wait.js'

export interface Raw5 {
  /** Every packet received, in order. */
  readonly received: ServerPacketV5[]
  send(packet: ClientPacketV5): void
  /** Resolves the first received packet `match` accepts; throws after `timeoutMs` or if the link ends first. */
  waitFor(match: (p: ServerPacketV5) => boolean, what: string, timeoutMs?: number): Promise<ServerPacketV5>
  /** Closes the socket without a DISCONNECT. */
  crash(): Promise<void>
}

export async function connectRaw5(
  port: number,
  connect: Omit<ConnectPacketV5, 'type' | 'keepaliveSec'> & { keepaliveSec?: number },
): Promise<Raw5> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
  const decoder = new PacketDecoderV5(fromServerV5)
  const received: ServerPacketV5[] = []
  let failure: unknown
  let closed = false
  socket.on('data', (chunk: Buffer) => {
    try {
      for (const packet of decoder.push(chunk)) received.push(packet)
    } catch (error) {
      failure = error
      socket.destroy()
    }
  })
  socket.on('error', (error) => (failure ??= error))
  const gone = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true
      resolve()
    }),
  )
  const find = async (match: (p: ServerPacketV5) => boolean, what: string, timeoutMs = 5000): Promise<ServerPacketV5> => {
    let found: ServerPacketV5 | undefined
    await waitFor(
      () => {
        found = received.find(match)
        if (!found && (failure !== undefined || closed))
          throw new Error(`raw v5 client: ${what}: the link ended (${String(failure ?? 'closed')})`)
        return found !== undefined
      },
      what,
      timeoutMs,
    )
    return found as ServerPacketV5
  }
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    socket.write(encodeV5({ type: 'connect', keepaliveSec: 0, ...connect }))
    await find((p) => p.type === 'connack', 'CONNACK')
    return {
      received,
      send: (packet) => void socket.write(encodeV5(packet)),
      waitFor: find,
      crash: async () => {
        socket.destroy()
        await gone
      },
    }
  } catch (error) {
    socket.destroy()
    await gone
    throw error
  }
}
