/**
 * A bare MQTT 5.0 client on a TCP socket, built from the codec alone: it sends exactly the
 * packets a test gives it and obeys no rule of its own. For putting a broker into a state a
 * well-behaved client never makes, e.g. a session left holding 1,020 unreleased QoS 2 messages by
 * a device that crashed, before the client under test takes that session over.
 *
 * ```ts
 * const raw = await connectRawV5(mosquitto.ports.plain, { clientId: 'dev', cleanStart: true })
 * raw.send({ type: 'publish', topic: 't', payload, qos: 2, pid: 1, retain: false, dup: false })
 * await raw.waitFor((p) => p.type === 'pubrec' && p.pid === 1, 'PUBREC 1')
 * raw.destroy()          // no DISCONNECT: the broker keeps the session as after a crash
 * ```
 */
import net from 'node:net'
import {
  encodeV5,
  fromServerV5,
  PacketDecoderV5,
  type AckPacketV5,
  type ClientPacketV5,
  type ConnackPacketV5,
  type ConnectPacketV5,
  type ServerPacketV5,
} from '@x/simple/codec'
import { waitFor } from './wait.js'

export interface RawV5 {
  /** Every packet received, in order. */
  readonly received: ServerPacketV5[]
  /** The CONNACK the broker answered with. */
  readonly connack: ConnackPacketV5
  send(packet: ClientPacketV5): void
  /** Resolves the first received packet (from `from` on) that `match` accepts; throws after `timeoutMs`. */
  waitFor(match: (p: ServerPacketV5) => boolean, what: string, timeoutMs?: number): Promise<ServerPacketV5>
  /** Closes the socket without a DISCONNECT (as a crash would). */
  destroy(): Promise<void>
}

export async function connectRawV5(
  port: number,
  connect: Omit<ConnectPacketV5, 'type' | 'keepaliveSec'> & { keepaliveSec?: number },
): Promise<RawV5> {
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
  const gone = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), resolve())))
  const find = async (match: (p: ServerPacketV5) => boolean, what: string, timeoutMs = 5000): Promise<ServerPacketV5> => {
    let found: ServerPacketV5 | undefined
    await waitFor(
      () => {
        found = received.find(match)
        if (!found && (failure || closed)) throw new Error(`raw v5 client: ${what}: link ended (${String(failure ?? 'closed')})`)
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
    const connack = (await find((p) => p.type === 'connack', 'CONNACK')) as ConnackPacketV5
    return {
      received,
      connack,
      send: (packet) => void socket.write(encodeV5(packet)),
      waitFor: find,
      destroy: async () => {
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

/**
 * A session over mosquitto's quota, as a device that crashed leaves it: `count` QoS 2 PUBLISHes to
 * `topic` that it never released (packet ids from 30,000, far from those a new client takes: a
 * reused id would clear a held message), then no DISCONNECT: the connection is destroyed. Resolves
 * the PUBRECs mosquitto answered them with (mosquitto answers in order: after a PINGRESP every
 * PUBREC that will come has come).
 */
export async function leaveUnreleasedSession(port: number, clientId: string, topic: string, count: number): Promise<AckPacketV5[]> {
  const crashed = await connectRawV5(port, { clientId, cleanStart: true, properties: { sessionExpiryInterval: 300 } })
  const encoder = new TextEncoder()
  for (let pid = 30_000; pid < 30_000 + count; pid++) {
    crashed.send({ type: 'publish', topic, payload: encoder.encode(`old ${pid}`), qos: 2, pid, retain: false, dup: false })
  }
  crashed.send({ type: 'pingreq' })
  await crashed.waitFor((p) => p.type === 'pingresp', 'PINGRESP', 10_000)
  const pubrecs = crashed.received.filter((p): p is AckPacketV5 => p.type === 'pubrec')
  await crashed.destroy()
  return pubrecs
}
