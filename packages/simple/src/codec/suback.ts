import { packet, u16 } from './bytes.js'
import type { SubackPacket } from './packet.js'
import type { Reader } from './reader.js'

/** SUBACK [MQTT-3.9], as a broker sends it. */
export function encodeSuback(p: SubackPacket): Uint8Array {
  return packet(0x90, [u16(p.pid), Uint8Array.from(p.returnCodes)])
}

/** SUBACK [MQTT-3.9]: one return code or more, each 0, 1, 2 or 0x80 [MQTT-3.9.3-2]. */
export function decodeSuback(r: Reader): SubackPacket {
  const pid = r.pid()
  const returnCodes = [...r.rest()]
  if (!returnCodes.length || returnCodes.some((c) => c > 2 && c !== 0x80)) {
    throw r.fail(`return codes [${returnCodes.join()}], not one or more of 0, 1, 2, 128 [MQTT-3.9.3-2]`, 'ESUBACKUNKNOWN')
  }
  return { type: 'suback', pid, returnCodes }
}
