import { field, packet, u16, utf8 } from './bytes.js'
import type { UnsubscribePacket } from './packet.js'
import type { Reader } from './reader.js'

/** UNSUBSCRIBE [MQTT-3.10]; the fixed flags are 0010 [MQTT-3.10.1-1]. */
export function encodeUnsubscribe(p: UnsubscribePacket): Uint8Array {
  const parts = [u16(p.pid)]
  for (const filter of p.filters) parts.push(...field(utf8(filter), 'topic filter'))
  return packet(0xa2, parts)
}

/** UNSUBSCRIBE, as a broker reads it: at least one filter [MQTT-3.10.3-2]. */
export function decodeUnsubscribe(r: Reader): UnsubscribePacket {
  const pid = r.pid()
  if (!r.left) throw r.fail('no topic filters [MQTT-3.10.3-2]')
  const filters: string[] = []
  do filters.push(r.string())
  while (r.left > 0)
  return { type: 'unsubscribe', pid, filters }
}
