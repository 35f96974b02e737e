import { MqttError } from '@x/errno'
import { packet, u16 } from '../bytes.js'
import type { QoS } from '../packet.js'
import { PROTOCOL_ERROR } from './errors.js'
import type { SubscribePacketV5, SubscriptionV5, UnsubscribePacketV5 } from './packet.js'
import { decodeProperties, encodeProperties } from './properties.js'
import type { ReaderV5 } from './reader.js'
import { string } from './write.js'

/** The Subscription Options byte (MQTT 5.0 §3.8.3.1): QoS, No Local, Retain As Published, Retain Handling. */
function options(s: SubscriptionV5): number {
  const rh = s.retainHandling ?? 0
  if (s.qos !== 0 && s.qos !== 1 && s.qos !== 2)
    throw new MqttError('EQOS', `Invalid QoS ${String(s.qos)} for ${JSON.stringify(s.filter)}: 0, 1 or 2`)
  if (rh !== 0 && rh !== 1 && rh !== 2) {
    throw new MqttError('EOPTION', `Invalid retainHandling ${String(rh)} for ${JSON.stringify(s.filter)}: 0, 1 or 2 (MQTT 5.0 §3.8.3.1)`)
  }
  return s.qos | (s.noLocal ? 4 : 0) | (s.retainAsPublished ? 8 : 0) | (rh << 4)
}

/** SUBSCRIBE (MQTT 5.0 §3.8); the fixed flags are 0010. The filters must already be valid. */
export function encodeSubscribeV5(p: SubscribePacketV5): Uint8Array {
  const parts = [u16(p.pid), ...encodeProperties(p.properties, 'subscribe')]
  for (const s of p.subscriptions) parts.push(...string(s.filter, 'topic filter', 'EFILTER'), Uint8Array.of(options(s)))
  return packet(0x82, parts)
}

/** SUBSCRIBE, as a broker reads it. */
export function decodeSubscribeV5(r: ReaderV5): SubscribePacketV5 {
  const pid = r.pid()
  const properties = decodeProperties(r, 'subscribe')
  if (!r.left) throw r.error('no topic filters [MQTT-3.8.3-2]', PROTOCOL_ERROR)
  const subscriptions: SubscriptionV5[] = []
  do {
    const filter = r.string()
    const o = r.u8()
    if (o & 0xc0) throw r.error(`reserved bits set in subscription options 0x${o.toString(16)} [MQTT-3.8.3-5]`)
    const qos = o & 3
    const retainHandling = (o >> 4) & 3
    if (qos === 3) throw r.error('subscription QoS 3 (MQTT 5.0 §3.8.3.1)', PROTOCOL_ERROR)
    if (retainHandling === 3) throw r.error('Retain Handling 3 (MQTT 5.0 §3.8.3.1)', PROTOCOL_ERROR)
    if (o & 4 && filter.startsWith('$share/'))
      throw r.error(`No Local on the shared subscription ${JSON.stringify(filter)} [MQTT-3.8.3-4]`, PROTOCOL_ERROR)
    subscriptions.push({
      filter,
      qos: qos as QoS,
      noLocal: (o & 4) > 0,
      retainAsPublished: (o & 8) > 0,
      retainHandling: retainHandling as 0 | 1 | 2,
    })
  } while (r.left > 0)
  return { type: 'subscribe', pid, subscriptions, properties }
}

/** UNSUBSCRIBE (MQTT 5.0 §3.10); the fixed flags are 0010. */
export function encodeUnsubscribeV5(p: UnsubscribePacketV5): Uint8Array {
  const parts = [u16(p.pid), ...encodeProperties(p.properties, 'unsubscribe')]
  for (const filter of p.filters) parts.push(...string(filter, 'topic filter', 'EFILTER'))
  return packet(0xa2, parts)
}

/** UNSUBSCRIBE, as a broker reads it: at least one filter [MQTT-3.10.3-2]. */
export function decodeUnsubscribeV5(r: ReaderV5): UnsubscribePacketV5 {
  const pid = r.pid()
  const properties = decodeProperties(r, 'unsubscribe')
  if (!r.left) throw r.error('no topic filters [MQTT-3.10.3-2]', PROTOCOL_ERROR)
  const filters: string[] = []
  do filters.push(r.string())
  while (r.left > 0)
  return { type: 'unsubscribe', pid, filters, properties }
}
