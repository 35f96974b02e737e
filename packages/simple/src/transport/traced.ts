import { describePacket } from '../codec/describe.js'
import { PacketDecoder } from '../codec/decoder.js'
import { fromClient } from '../codec/from-client.js'
import { fromServer } from '../codec/from-server.js'
import type { Packet } from '../codec/packet.js'
import { whereOf, type Link, type Transport } from './link.js'

/** Where a trace goes: one line per event, e.g. `sending PUBLISH (d0, q1, r0, m7, "a/b", 5 bytes)`. */
export type TraceLog = (line: string) => void

/**
 * How a trace reads the packets of each direction and says one in words: MQTT 3.1.1 unless given
 * (the CLI passes MQTT 5.0's decoders and description for `-V 5`).
 */
export interface TraceReading {
  /** A decoder of what the broker sends, one of what the client sends (fresh ones per link). */
  decoders(): { received: PacketDecoder<unknown>; sending: PacketDecoder<unknown> }
  describe(packet: unknown): string
}

const MQTT_311: TraceReading = {
  decoders: () => ({ received: new PacketDecoder(fromServer), sending: new PacketDecoder(fromClient) }),
  describe: (packet) => describePacket(packet as Packet),
}

/** Decodes one direction of the byte stream for the trace; stops (once said) at bytes it cannot read. */
function reader(
  decoder0: PacketDecoder<unknown>,
  describe: TraceReading['describe'],
  verb: string,
  log: TraceLog,
): (bytes: Uint8Array) => void {
  let decoder: PacketDecoder<unknown> | undefined = decoder0
  return (bytes) => {
    try {
      for (const packet of decoder?.push(bytes) ?? []) log(`${verb} ${describe(packet)}`)
    } catch (error) {
      decoder = undefined
      log(`${verb} bytes the trace cannot read, not traced further: ${(error as Error).message}`)
    }
  }
}

/**
 * `transport`, with every packet sent and received, and the link's opening and closing, told to
 * `log`. The debug channel: pass `transport: tracedTransport(defaultTransport, console.error)` to
 * MqttClient or RobustClient. It is a separate function, so a program that does not trace carries
 * none of it (bundlers leave it out) and pays nothing. `reading` reads the packets another way
 * (MQTT 5.0's, say); MQTT 3.1.1 unless given.
 */
export function tracedTransport(transport: Transport, log: TraceLog, reading: TraceReading = MQTT_311): Transport {
  return async (target, handlers, signal) => {
    const where = whereOf(target)
    const carrier = target.path === undefined ? (target.tls ? 'TLS' : 'TCP') : target.tls ? 'WebSocket with TLS' : 'WebSocket'
    log(`connecting to ${where} over ${carrier}`)
    const decoders = reading.decoders()
    const received = reader(decoders.received, reading.describe, 'received', log)
    const sent = reader(decoders.sending, reading.describe, 'sending', log)
    // Once the link is closing or lost, the client's destroy() is cleanup, not news.
    let over = false
    let link: Link
    try {
      link = await transport(
        target,
        {
          onData(chunk) {
            received(chunk)
            handlers.onData(chunk)
          },
          onClose(error) {
            over = true
            log(`connection lost: ${error.message} [${error.code}]`)
            handlers.onClose(error)
          },
        },
        signal,
      )
    } catch (error) {
      log(`connection to ${where} failed: ${(error as Error).message}`)
      throw error
    }
    log(`connected to ${where}`)
    return {
      write(bytes) {
        sent(bytes)
        return link.write(bytes)
      },
      drain: () => link.drain(),
      get buffered() {
        return link.buffered
      },
      pause: () => link.pause(),
      resume: () => link.resume(),
      end() {
        over = true
        log('closing the connection')
        return link.end()
      },
      destroy() {
        if (!over) log('closing the connection at once')
        over = true
        link.destroy()
      },
    }
  }
}
