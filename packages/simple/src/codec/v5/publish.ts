import { MqttError } from '@x/errno'
import { packet, u16 } from '../bytes.js'
import type { QoS } from '../packet.js'
import { MqttPayload } from '../payload.js'
import type { Reader } from '../reader.js'
import { topicNameShapeProblem } from '../topic.js'
import { PROTOCOL_ERROR } from './errors.js'
import type { PublishPacketV5 } from './packet.js'
import { decodeProperties, encodeProperties } from './properties.js'
import { ReaderV5 } from './reader.js'
import { string } from './write.js'

/**
 * PUBLISH (MQTT 5.0 §3.3): topic, packet id, properties, payload. The topic must already be a
 * valid topic name (the client checks it with a clear error), or empty with a Topic Alias.
 * `pid` and `dup`, when given, stand in for the packet's own (so a resend needs no copy of it).
 */
export function encodePublishV5(p: PublishPacketV5, pid = p.pid, dup = p.dup): Uint8Array {
  if (!p.topic && p.properties?.topicAlias === undefined) {
    throw new MqttError('ETOPIC', 'An empty topic name needs a Topic Alias (MQTT 5.0 §3.3.2.3.4)')
  }
  const parts = string(p.topic, 'topic', 'ETOPIC')
  if (p.qos) parts.push(u16(pid ?? 0))
  parts.push(...encodeProperties(p.properties, 'publish'), p.payload)
  return packet(0x30 | (dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0), parts)
}

/**
 * A PUBLISH decoder for what `sender` sends: QoS 0..2, a topic name without wildcards, or an
 * empty one with a Topic Alias, a non-zero pid. From a client, a Subscription Identifier is a
 * Protocol Error [MQTT-3.3.4-6]. DUP on QoS 0 is accepted: [MQTT-3.3.1-2] binds the sender.
 */
export function publishDecoderV5(sender: 'broker' | 'client'): (r: ReaderV5, first: number) => PublishPacketV5 {
  return (r, first) => {
    const qos = (first >> 1) & 3
    if (qos > 2) throw r.error('QoS 3 [MQTT-3.3.1-4]')
    const topic = r.string()
    // An empty topic is checked below, once the properties say whether a Topic Alias stands for it.
    const problem = topic ? topicNameShapeProblem(topic) : undefined
    if (problem) throw r.error(`topic ${JSON.stringify(topic)}: ${problem}`, PROTOCOL_ERROR)
    const pid = qos ? r.pid() : undefined
    const properties = decodeProperties(r, 'publish')
    if (!topic && properties.topicAlias === undefined) {
      throw r.error('an empty topic name without a Topic Alias (MQTT 5.0 §3.3.2.3.4)', PROTOCOL_ERROR)
    }
    if (sender === 'client' && properties.subscriptionIdentifier !== undefined) {
      throw r.error('a Subscription Identifier from a client [MQTT-3.3.4-6]', PROTOCOL_ERROR)
    }
    const p: PublishPacketV5 = {
      type: 'publish',
      topic,
      payload: r.payload(),
      qos: qos as QoS,
      retain: (first & 1) > 0,
      dup: (first & 8) > 0,
    }
    if (pid) p.pid = pid
    p.properties = properties
    return p
  }
}

/**
 * What a PUBLISH over the size limit keeps of its body (MQTT 5.0): the topic (at most 65,535 bytes
 * and its length), the packet id, and the properties (their length, and at most 64 KiB of them),
 * for its Topic Alias sets or names a topic on the connection whether or not the payload is read.
 */
export const SKIPPED_HEAD_V5 = 2 + 65_535 + 2 + 4 + 65_535

const fromBroker = publishDecoderV5('broker')
const NOTHING = new MqttPayload(0)

/**
 * A PUBLISH from the broker over the size limit (MQTT 5.0), from its first bytes only (up to
 * SKIPPED_HEAD_V5): topic, packet id and properties, read by the rules of any PUBLISH; the payload
 * was skipped, never buffered. `size` is the whole packet's size in bytes. Properties longer than
 * what is kept are not read: its topic and packet id only, as a 3.1.1 one's (skipped all the same).
 */
export function decodeSkippedPublishV5(r: Reader, first: number, size: number): PublishPacketV5 & { oversize: number } {
  const head = r.bytes(r.left)
  let p: PublishPacketV5
  try {
    p = fromBroker(new ReaderV5(head, 'PUBLISH'), first)
  } catch (error) {
    if (head.length < SKIPPED_HEAD_V5) throw error
    const cut = new ReaderV5(head, 'PUBLISH')
    const qos = ((first >> 1) & 3) as QoS
    p = { type: 'publish', topic: cut.string(), qos, retain: (first & 1) > 0, dup: (first & 8) > 0, payload: NOTHING }
    if (qos) p.pid = cut.pid()
  }
  return { ...p, payload: NOTHING, oversize: size }
}
