import { isMqttError } from '@x/errno'
import { PacketDecoder } from '../decoder.js'
import { inboundError, MALFORMED, PACKET_TOO_LARGE, PROTOCOL_ERROR } from './errors.js'

// The fixed header is the same in both versions; its rules are numbered differently in 5.0.
const RULES_V5: ReadonlyArray<[v311: string, v5: string]> = [
  ['[MQTT-2.2.2-2]', '[MQTT-2.1.3-1]'],
  ['[MQTT-2.2.3]', '(MQTT 5.0 §1.5.5, §2.1.4)'],
  ['[MQTT-2.2.1]', '(MQTT 5.0 §2.1.2)'],
]

/**
 * PacketDecoder for MQTT 5.0 (with `fromServerV5` or `fromClientV5`): every error it throws
 * carries `reasonCode`, the code of the DISCONNECT the receiver sends before closing: Packet Too
 * Large (0x95) for a packet over `maxPacketBytes` [MQTT-3.1.2-24] [MQTT-3.2.2-15], Protocol
 * Error (0x82) for a packet the sender may not send, Malformed Packet (0x81) otherwise, unless
 * the body's decoder chose another.
 */
export class PacketDecoderV5<P> extends PacketDecoder<P> {
  override *push(chunk: Uint8Array): Generator<P, void, undefined> {
    try {
      yield* super.push(chunk)
    } catch (error) {
      if (!isMqttError(error) || 'reasonCode' in error) throw error
      const reasonCode = error.code === 'EOVERSIZE' ? PACKET_TOO_LARGE : error.code === 'ERESPONSE' ? PROTOCOL_ERROR : MALFORMED
      let message = error.message
      for (const [v311, v5] of RULES_V5) message = message.replace(v311, v5)
      throw inboundError(reasonCode, message, error.code, error)
    }
  }
}
