import { packet } from './bytes.js'
import type { ConnackPacket } from './packet.js'
import type { Reader } from './reader.js'

/** CONNACK [MQTT-3.2], as a broker sends it. */
export function encodeConnack(p: ConnackPacket): Uint8Array {
  return packet(0x20, [Uint8Array.of(p.sessionPresent ? 1 : 0, p.returnCode)])
}

/** CONNACK [MQTT-3.2]. Any malformation is ECONLENGTH (29), umqtt.simple2's "bad CONNACK". */
export function decodeConnack(r: Reader): ConnackPacket {
  if (r.left !== 2) throw r.fail(`Remaining Length ${r.left}, not 2 [MQTT-3.2.1]`, 'ECONLENGTH')
  const flags = r.u8()
  const returnCode = r.u8()
  // Bits 7-1 of the flags are reserved [MQTT-3.2.2.1]; a refusal has no session [MQTT-3.2.2-4].
  if (flags > 1 || (flags && returnCode)) throw r.fail(`acknowledge flags ${flags} [MQTT-3.2.2-4]`, 'ECONLENGTH')
  return { type: 'connack', sessionPresent: flags === 1, returnCode }
}
