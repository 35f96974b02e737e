import type { ErrorCode } from '@x/errno'
import { fromUtf8 } from '../bytes.js'
import { Reader } from '../reader.js'
import { inboundError, MALFORMED, type MqttErrorV5 } from './errors.js'

/**
 * The v4 Reader with MQTT 5.0's rules: every failure carries the reason code of the DISCONNECT
 * it calls for (Malformed Packet unless said otherwise) and cites the 5.0 rule, and it reads the
 * Variable Byte Integers that properties are made of.
 */
export class ReaderV5 extends Reader {
  /** The error code of a malformation here (CONNACK's is ECONLENGTH, umqtt.simple2's "bad CONNACK"). */
  readonly code: ErrorCode

  constructor(body: Uint8Array, name: string, code: ErrorCode = 'EMALFORMED') {
    super(body, name)
    this.code = code
  }

  /** An error about this packet, with the reason code the receiver must send. */
  error(problem: string, reasonCode = MALFORMED, code = this.code): MqttErrorV5 {
    return inboundError(reasonCode, `${reasonCode === MALFORMED ? 'Malformed' : 'Protocol error in'} ${this.name}: ${problem}`, code)
  }

  override bytes(n: number): Uint8Array {
    if (n > this.left) {
      throw this.error(
        'a field runs past the end of the packet (its Remaining Length) [MQTT-1.5.4] [MQTT-2.1.4]',
        MALFORMED,
        this.code === 'EMALFORMED' ? 'EREADLEN' : this.code,
      )
    }
    return super.bytes(n)
  }

  /**
   * A non-zero packet identifier: a client assigns one [MQTT-2.2.1-3], a server too
   * [MQTT-2.2.1-4], and an acknowledgement carries the one it acknowledges [MQTT-2.2.1-5].
   */
  override pid(): number {
    const pid = this.u16()
    if (!pid) throw this.error('packet identifier 0 [MQTT-2.2.1-3] [MQTT-2.2.1-4]')
    return pid
  }

  /** A UTF-8 Encoded String: well-formed, no U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
  override string(): string {
    const text = fromUtf8(this.field())
    if (text === undefined) throw this.error('a string is not well-formed UTF-8 [MQTT-1.5.4-1]')
    if (text.includes('\0')) throw this.error('a string contains U+0000 [MQTT-1.5.4-2]')
    return text
  }

  /**
   * A Variable Byte Integer [MQTT-1.5.5]: at most four bytes. A longer form than needed is read,
   * not refused: the minimum-size rule [MQTT-1.5.5-1] binds the sender and the value is plain.
   */
  varint(): number {
    let value = 0
    for (let i = 0; i < 4; i++) {
      const byte = this.u8()
      value += (byte & 127) * 128 ** i
      if (byte < 128) return value
    }
    throw this.error('a Variable Byte Integer runs over four bytes [MQTT-1.5.5]')
  }
}
