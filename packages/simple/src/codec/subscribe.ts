import { field, packet, u16, utf8 } from './bytes.js'
import type { QoS, SubscribePacket, Subscription } from './packet.js'
import type { Reader } from './reader.js'

/** SUBSCRIBE [MQTT-3.8]; the fixed flags are 0010 [MQTT-3.8.1-1]. */
export function encodeSubscribe(p: SubscribePacket): Uint8Array {
  const parts = [u16(p.pid)]
  for (const s of p.subscriptions) parts.push(...field(utf8(s.filter), 'topic filter'), Uint8Array.of(s.qos))
  return packet(0x82, parts)
}

/** SUBSCRIBE, as a broker reads it. */
export function decodeSubscribe(r: Reader): SubscribePacket {
  const pid = r.pid()
  if (!r.left) throw r.fail('no topic filters [MQTT-3.8.3-3]')
  const subscriptions: Subscription[] = []
  do {
    const filter = r.string()
    const qos = r.u8()
    if (qos > 2) throw r.fail(`requested QoS byte ${qos} [MQTT-3.8.3-4]`)
    subscriptions.push({ filter, qos: qos as QoS })
  } while (r.left > 0)
  return { type: 'subscribe', pid, subscriptions }
}
