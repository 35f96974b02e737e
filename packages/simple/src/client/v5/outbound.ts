import { fromUtf8 } from '../../codec/bytes.js'
import type { QoS } from '../../codec/packet.js'
import type { PublishProperties, SubscribeProperties, SubscriptionV5, UnsubscribeProperties } from '../../codec/v5/packet.js'
import { encodePublishV5 } from '../../codec/v5/publish.js'
import { encodeSubscribeV5, encodeUnsubscribeV5 } from '../../codec/v5/subscribe.js'
import { fail } from '../arguments.js'
import { online, write, type Core } from '../core.js'
import { sendWithPid, whenWritable } from '../sending.js'
import { INBOX_LIMIT } from '../inbox.js'
import { connOf } from '../state.js'
import type { ConnV5 } from './conn.js'

/** Bytes of the fixed header of an encoded packet (1, then 1 to 4 of Remaining Length). */
function headerLength(packet: Uint8Array): number {
  let at = 1
  while ((packet[at++] as number) & 128);
  return at
}

/** `encode(pid)` for sendWithPid(): the packet id written into the packet at `at`. */
const withPid = (packet: Uint8Array, at: number) => (pid: number) => {
  packet[at] = pid >> 8
  packet[at + 1] = pid & 255
  return packet
}

/** Refuses a packet over the broker's Maximum Packet Size before it is sent; the link stays up. */
function fits(v5: ConnV5, packet: Uint8Array, operation: string): void {
  const max = v5.limits.maximumPacketSize
  if (max !== undefined && packet.length > max) {
    throw fail(
      'ETOOLARGE',
      `Cannot ${operation}: the packet is ${packet.length} bytes; the broker's Maximum Packet Size is ${max} [MQTT-3.2.2-15]`,
      operation,
    )
  }
}

const unsupported = (operation: string, what: string, rule: string) =>
  fail('ENOTSUPPORTED', `Cannot ${operation}: ${what}, its CONNACK says (${rule})`, operation)

/** The PUBLISH properties a caller may set, checked before a byte is sent. */
function checkProperties(v5: ConnV5, properties: PublishProperties | undefined, payload: Uint8Array): void {
  if (!properties) return
  if (properties.subscriptionIdentifier !== undefined)
    throw fail('EOPTION', 'Cannot publish: a client may not send a Subscription Identifier [MQTT-3.3.4-6]', 'publish')
  if (properties.payloadFormatIndicator && fromUtf8(payload) === undefined)
    throw fail(
      'EPAYLOAD',
      'Cannot publish: payloadFormatIndicator says UTF-8, and the payload is not well-formed UTF-8 [MQTT-3.3.2-4]',
      'publish',
    )
  const alias = properties.topicAlias
  const max = v5.limits.topicAliasMaximum ?? 0
  if (alias !== undefined && !(Number.isInteger(alias) && alias >= 1 && alias <= max))
    throw fail(
      'EOPTION',
      `Cannot publish with topicAlias ${alias}: the broker's Topic Alias Maximum is ${max} [MQTT-3.2.2-17] [MQTT-3.3.2-8]`,
      'publish',
    )
}

/**
 * `publish()` on MQTT 5: checked against the broker's limits, encoded at the call (the bytes of
 * the call are what goes, and what a resumed session sends again), a QoS 1 or 2 message waiting
 * for a Receive Maximum slot, then sent with a topic alias where one helps.
 */
export async function publish(
  core: Core,
  topic: string,
  payload: Uint8Array,
  qos: QoS,
  retain: boolean,
  dup: boolean,
  properties: PublishProperties | undefined,
): Promise<number | undefined> {
  const conn = online(core, 'publish')
  const v5 = conn.v5 as ConnV5
  const { maximumQoS = 2, retainAvailable } = v5.limits
  checkProperties(v5, properties, payload)
  if (qos > maximumQoS) throw unsupported('publish', `the broker takes QoS ${maximumQoS} at most`, 'MQTT-3.2.2-11')
  if (retain && retainAvailable === false) throw unsupported('publish', 'the broker keeps no retained messages', 'MQTT-3.2.2-14')
  const packet = encodePublishV5({ type: 'publish', topic, payload, qos, retain, dup, ...(properties && { properties }) }, 0)
  fits(v5, packet, 'publish')
  const explicit = properties?.topicAlias
  if (qos) {
    const slot = v5.flow.take()
    // Reading paused (many acknowledgements unread by checkMsg()) would keep out the one this message needs.
    const liveness = conn.liveness
    if (liveness?.paused && core.inbox.messages < INBOX_LIMIT) {
      liveness.paused = false
      conn.link?.resume()
    }
    if (slot) await slot
    // The connection ended while the call waited: say why, as any call does.
    if (connOf(core.state) !== conn) {
      online(core, 'publish')
      throw fail('ECONNOT', 'Cannot publish: the connection it waited for was closed', 'publish')
    }
  }
  // The packet id follows the topic name (its length, then its bytes).
  const hl = headerLength(packet)
  const pidAt = hl + 2 + (packet[hl] as number) * 256 + (packet[hl + 1] as number)
  // What this connection sends: the packet, or (topic aliases) one with the alias, its payload the same bytes.
  const wire = (pid: number): Uint8Array => {
    if (explicit !== undefined) v5.aliasesOut?.claim(explicit, topic)
    // Setting an alias adds up to 5 bytes (the property, and maybe a longer length): never past the broker's limit.
    const max = v5.limits.maximumPacketSize ?? Infinity
    const alias = explicit === undefined && packet.length + 5 <= max ? v5.aliasesOut?.for(topic) : undefined
    if (!alias) return qos ? withPid(packet, pidAt)(pid) : packet
    const aliased = { ...properties, topicAlias: alias.alias }
    const body = packet.subarray(packet.length - payload.length)
    return encodePublishV5({ type: 'publish', topic: alias.known ? '' : topic, payload: body, qos, retain, dup, properties: aliased }, pid)
  }
  try {
    return await whenWritable(core, 'publish', (c) => {
      if (c !== conn) throw fail('ECONNOT', 'Cannot publish: the connection it waited for was closed', 'publish')
      if (!qos) return void write(c, wire(0))
      // The slot goes to the id before the packet is written: a transport may deliver the
      // acknowledgement within the write itself (an in-process broker), and it frees the slot.
      return sendWithPid(core, c, 'publish', qos > 1 ? 'pubcomp' : 'puback', withPid(packet, pidAt), (pid) => (v5.flow.sent(pid), wire(pid)))
    })
  } catch (error) {
    if (qos) v5.flow.unused()
    throw error
  }
}

/** `subscribe()` on MQTT 5: options and properties, refused before sending where the broker said it offers no such thing. */
export function subscribe(core: Core, subscription: SubscriptionV5, properties: SubscribeProperties | undefined): number | Promise<number> {
  const op = 'subscribe'
  const conn = online(core, op)
  const v5 = conn.v5 as ConnV5
  const { filter } = subscription
  const limits = v5.limits
  const shared = filter.startsWith('$share/')
  if (limits.wildcardSubscriptionAvailable === false && /[+#]/.test(filter))
    throw unsupported(op, `the broker takes no wildcard subscriptions (${filter})`, 'MQTT 5.0 §3.2.2.3.11')
  if (limits.sharedSubscriptionAvailable === false && shared)
    throw unsupported(op, 'the broker takes no shared subscriptions', 'MQTT 5.0 §3.2.2.3.13')
  if (limits.subscriptionIdentifiersAvailable === false && properties?.subscriptionIdentifier !== undefined)
    throw unsupported(op, 'the broker takes no subscription identifiers', 'MQTT 5.0 §3.2.2.3.12')
  if (subscription.noLocal && shared)
    throw fail('EOPTION', `Cannot subscribe to ${filter}: noLocal on a shared subscription [MQTT-3.8.3-4]`, op)
  const packet = encodeSubscribeV5({ type: 'subscribe', pid: 0, subscriptions: [subscription], ...(properties && { properties }) })
  fits(v5, packet, op)
  return whenWritable(core, op, (c) => sendWithPid(core, c, op, 'suback', withPid(packet, headerLength(packet))))
}

/** `unsubscribe()` on MQTT 5, with its properties. */
export function unsubscribe(core: Core, filter: string, properties: UnsubscribeProperties | undefined): number | Promise<number> {
  const op = 'unsubscribe'
  const conn = online(core, op)
  const packet = encodeUnsubscribeV5({ type: 'unsubscribe', pid: 0, filters: [filter], ...(properties && { properties }) })
  fits(conn.v5 as ConnV5, packet, op)
  return whenWritable(core, op, (c) => sendWithPid(core, c, op, 'unsuback', withPid(packet, headerLength(packet))))
}
