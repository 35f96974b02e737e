import { MqttError, type ErrorCode } from '@x/errno'
import { fromUtf8 } from './bytes.js'

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

  get left(): number {
    return this.#body.length - this.#at
  }

  bytes(n: number, what: string): Uint8Array {
    if (n > this.left) {
      throw this.fail(`the ${what} needs ${n} bytes but ${this.left} remain [MQTT-2.2.3]`, 'EREADLEN')
    }
    return this.#body.subarray(this.#at, (this.#at += n))
  }

  u8(what: string): number {
    return this.bytes(1, what)[0] as number
  }

  u16(what: string): number {
    const b = this.bytes(2, what)
    return ((b[0] as number) << 8) | (b[1] as number)
  }

  /** A non-zero packet identifier [MQTT-2.3.1-1]. */
  pid(): number {
    const pid = this.u16('packet identifier')
    if (pid === 0) throw this.fail('packet identifier 0 is not allowed [MQTT-2.3.1-1]')
    return pid
  }

  /** A length-prefixed binary field. */
  field(what: string): Uint8Array {
    return this.bytes(this.u16(`length of the ${what}`), what)
  }

  /** A length-prefixed UTF-8 string: well-formed, no U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]. */
  string(what: string): string {
    const text = fromUtf8(this.field(what))
    if (text === undefined) throw this.fail(`the ${what} is not well-formed UTF-8 [MQTT-1.5.3-1]`)
    if (text.includes('\0')) throw this.fail(`the ${what} contains U+0000 [MQTT-1.5.3-2]`)
    return text
  }

  /** Everything not read yet. */
  rest(): Uint8Array {
    return this.bytes(this.left, 'rest')
  }

  /** Checks that the body held nothing after its last field. */
  end(): void {
    if (this.left > 0) throw this.fail(`${this.left} unexpected bytes after the last field [MQTT-2.2.3]`, 'EREADLEN')
  }
}
