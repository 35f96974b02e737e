import { MqttError } from '@x/errno'
import { MAX_REMAINING_LENGTH } from './bytes.js'
import { Reader } from './reader.js'

/** Decodes the body of one packet type; `first` is the packet's first byte. */
export type BodyDecoder<P> = (r: Reader, first: number) => P

/** Which packets one side of a connection may receive, and who sends them. */
export interface Direction<P> {
  /** The sender, for messages: `'broker'` or `'client'`. */
  readonly sender: string
  /** By packet type number: the types this side may receive. */
  readonly decoders: Readonly<Record<number, BodyDecoder<P>>>
  /**
   * How a PUBLISH over `maxPacketBytes` is reported, from its first bytes (topic and packet id)
   * while the rest is skipped unbuffered. Without it, such a PUBLISH is EOVERSIZE.
   */
  readonly skipped?: (r: Reader, first: number, size: number) => P
  /** How many bytes of such a PUBLISH's body `skipped` is given at most (SKIP_HEAD by default). */
  readonly skippedHead?: number
}

// What a skipped PUBLISH keeps of its body: the topic (at most 65,535 bytes, with its length)
// and the packet id. Everything after that is counted, not stored.
const SKIP_HEAD = 2 + 65_535 + 2

// Names by type number, for messages: NAMES[3] === 'PUBLISH'.
const NAMES =
  'type-0 CONNECT CONNACK PUBLISH PUBACK PUBREC PUBREL PUBCOMP SUBSCRIBE SUBACK UNSUBSCRIBE UNSUBACK PINGREQ PINGRESP DISCONNECT type-15'.split(
    ' ',
  )

// The fixed-header flags of each type but PUBLISH: 0010 for PUBREL, SUBSCRIBE, UNSUBSCRIBE [MQTT-2.2.2-1].
const FLAGS = [0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0]

/**
 * Turns a byte stream into packets. `push(chunk)` yields every packet the bytes complete and keeps
 * a partial one for the next chunk; a partial packet is never an error. The packet type, its flags
 * and its size (against `maxPacketBytes`) are checked as soon as the header arrives, before any of
 * the body is buffered, so hostile input costs at most `maxPacketBytes` of memory.
 *
 * A PUBLISH over the limit is not an error where the direction says how to report it
 * (`skipped`): its topic and packet id are read, at most 64 KiB of it is kept, and the rest of its
 * body is passed over as it arrives.
 *
 * A malformed packet throws an MqttError while iterating, after the good packets before it were
 * yielded. The stream is then out of step: drop the decoder (and the connection) after an error.
 */
export class PacketDecoder<P> {
  readonly #direction: Direction<P>
  readonly #maxPacketBytes: number
  #first = -1 // first byte of the packet being read; -1 between packets
  #length = 0 // Remaining Length read so far
  #lengthBytes = 0
  #body: Uint8Array | undefined // allocated once the Remaining Length is known
  #filled = 0
  #skipLeft = 0 // body bytes of an oversize PUBLISH still to pass over (its head fills #body)
  #size = 0 // the oversize packet's whole size, for its report

  constructor(direction: Direction<P>, maxPacketBytes = MAX_REMAINING_LENGTH + 5) {
    this.#direction = direction
    this.#maxPacketBytes = maxPacketBytes
  }

  /** Whether bytes of an unfinished packet are buffered. */
  get pending(): boolean {
    return this.#first >= 0
  }

  *push(chunk: Uint8Array): Generator<P, void, undefined> {
    let at = 0
    while (at < chunk.length) {
      if (this.#first < 0) {
        this.#begin(chunk[at++] as number)
        continue
      }
      if (!this.#body) {
        const n = this.#readLength(chunk[at++] as number)
        if (n < 0) continue
        if (this.#skipLeft) {
          this.#body = new Uint8Array(Math.min(n, this.#direction.skippedHead ?? SKIP_HEAD))
          this.#filled = 0
          continue
        }
        // The whole body is in this chunk (the usual case): a view of it, no copy. A plain
        // Uint8Array view, so a payload is the same type whether or not it arrived split.
        const whole = chunk.length - at >= n
        this.#body = whole ? new Uint8Array(chunk.buffer, chunk.byteOffset + at, n) : new Uint8Array(n)
        if (whole) at += n
        this.#filled = whole ? n : 0
      } else {
        const n = Math.min(this.#body.length - this.#filled, chunk.length - at)
        this.#body.set(chunk.subarray(at, at + n), this.#filled)
        this.#filled += n
        at += n
        if (this.#skipLeft) {
          // Past the head: count the rest of an oversize PUBLISH without keeping it.
          const passed = Math.min(this.#skipLeft - n, chunk.length - at)
          this.#skipLeft -= n + passed
          at += passed
          if (this.#skipLeft) continue
          yield this.#finishSkipped()
          continue
        }
      }
      if (this.#filled === this.#body.length && !this.#skipLeft) yield this.#finish()
    }
  }

  #begin(first: number): void {
    const type = first >> 4
    const name = NAMES[type] as string
    if (!this.#direction.decoders[type]) {
      throw type % 15
        ? new MqttError('ERESPONSE', `Unexpected ${name}: a ${this.#direction.sender} may not send it [MQTT-2.2.1]`)
        : new MqttError('EMALFORMED', `Malformed packet: reserved ${name} [MQTT-2.2.1]`)
    }
    if (type !== 3 && (first & 15) !== FLAGS[type]) {
      throw new MqttError('EMALFORMED', `Malformed ${name}: reserved flags ${first & 15} [MQTT-2.2.2-2]`)
    }
    this.#first = first
    this.#length = this.#lengthBytes = this.#filled = 0
  }

  /** Takes one Remaining Length byte; returns the length once complete, -1 before. */
  #readLength(byte: number): number {
    this.#length += (byte & 127) * 128 ** this.#lengthBytes++
    if (byte & 128) {
      if (this.#lengthBytes === 4) {
        throw new MqttError('EMALFORMED', `Malformed ${NAMES[this.#first >> 4]}: Remaining Length over 4 bytes [MQTT-2.2.3]`)
      }
      return -1
    }
    const total = 1 + this.#lengthBytes + this.#length
    if (total > this.#maxPacketBytes) {
      if (this.#first >> 4 === 3 && this.#direction.skipped) {
        this.#skipLeft = this.#length
        this.#size = total
        return this.#length
      }
      throw new MqttError(
        'EOVERSIZE',
        `${NAMES[this.#first >> 4]} of ${total} bytes is over the limit of ${this.#maxPacketBytes} (maxPacketBytes)`,
      )
    }
    return this.#length
  }

  #finishSkipped(): P {
    const head = (this.#body as Uint8Array).subarray(0, this.#filled)
    const first = this.#first
    this.#first = -1
    this.#body = undefined
    const skipped = this.#direction.skipped as NonNullable<Direction<P>['skipped']>
    return skipped(new Reader(head, 'PUBLISH'), first, this.#size)
  }

  #finish(): P {
    const first = this.#first
    const body = this.#body as Uint8Array
    this.#first = -1
    this.#body = undefined
    const type = first >> 4
    return (this.#direction.decoders[type] as BodyDecoder<P>)(new Reader(body, NAMES[type] as string), first)
  }
}
