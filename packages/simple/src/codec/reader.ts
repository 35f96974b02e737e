import { MqttError, type ErrorCode } from '@x/errno'
import { fromUtf8 } from './bytes.js'
import { MqttPayload } from './payload.js'

/**
 * Reads the fields of one packet body. Every read is checked against the end of the body, so a
 * length field that points past it is an error (EREADLEN), never a read out of bounds.
 */
export class Reader {
  #at = 0
  readonly #body: Uint8Array
  /** The packet's name for messages, e.g. `'PUBLISH'`. */
  readonly name: string

  constructor(body: Uint8Array, name: string) {
    this.#body = body
    this.name = name
  }

  /** A malformed-packet error that names this packet. */
  fail(problem: string, code: ErrorCode = 'EMALFORMED'): MqttError {
    return new MqttError(code, `Malformed ${this.name}: ${problem}`)
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.#body.length - this.#at
  }

  bytes(n: number): Uint8Array {
    if (n > this.left) throw this.fail('a field runs past the Remaining Length [MQTT-2.2.3]', 'EREADLEN')
    return this.#body.subarray(this.#at, (this.#at += n))
  }

  u8(): number {
    return this.bytes(1)[0] as number
  }

  u16(): number {
    return (this.u8() << 8) | this.u8()
  }

  /** A non-zero packet identifier [MQTT-2.3.1-1]. */
  pid(): number {
    const pid = this.u16()
    if (!pid) throw this.fail('packet identifier 0 [MQTT-2.3.1-1]')
    return pid
  }

  /** A length-prefixed binary field. */
  field(): Uint8Array {
    return this.bytes(this.u16())
  }

  /** A length-prefixed UTF-8 string: well-formed, no U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]. */
  string(): string {
    const text = fromUtf8(this.field())
    if (text === undefined) throw this.fail('a string is not well-formed UTF-8 [MQTT-1.5.3-1]')
    if (text.includes('\0')) throw this.fail('a string contains U+0000 [MQTT-1.5.3-2]')
    return text
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    return this.bytes(this.left)
  }

  /** Everything not read yet, as a payload: a view of the same bytes, no copy. */
  payload(): MqttPayload {
    const body = this.#body
    const n = this.left
    const payload = new MqttPayload(body.buffer as ArrayBuffer, body.byteOffset + this.#at, n)
    this.#at += n
    return payload
  }

  /** Checks that the Remaining Length is `n`, for packets of a fixed size. */
  size(n: number): void {
    if (this.left !== n) throw this.fail(`Remaining Length ${this.left}, not ${n}`, 'EREADLEN')
  }
}
