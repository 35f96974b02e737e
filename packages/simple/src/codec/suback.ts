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
  if (!returnCodes.length) throw r.fail('no return codes [MQTT-3.9.3]', 'ESUBACKUNKNOWN')
  for (const code of returnCodes) {
    if (code > 2 && code !== 0x80) throw r.fail(`return code ${code} is not 0, 1, 2 or 0x80 [MQTT-3.9.3-2]`, 'ESUBACKUNKNOWN')
  }
  return { type: 'suback', pid, returnCodes }
}
