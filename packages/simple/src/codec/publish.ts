import { field, packet, u16, utf8 } from './bytes.js'
import type { PublishPacket, QoS } from './packet.js'
import { MqttPayload } from './payload.js'
import type { Reader } from './reader.js'
import { topicNameShapeProblem } from './topic.js'

// The topic last encoded, and its bytes: a publisher usually sends to the same topic again.
let lastTopic = ''
let lastTopicBytes: Uint8Array = new Uint8Array(0)

/**
 * PUBLISH [MQTT-3.3]. The topic must already be valid: the client checks it with a clear error.
 * `pid` and `dup`, when given, stand in for the packet's own (so a resend needs no copy of it).
 */
export function encodePublish(p: PublishPacket, pid = p.pid, dup = p.dup): Uint8Array {
  if (p.topic !== lastTopic) {
    lastTopicBytes = utf8(p.topic)
    lastTopic = p.topic
  }
  const parts = field(lastTopicBytes, 'topic')
  if (p.qos) parts.push(u16(pid ?? 0))
  parts.push(p.payload)
  return packet(0x30 | (dup ? 8 : 0) | (p.qos << 1) | (p.retain ? 1 : 0), parts)
}

/**
 * PUBLISH [MQTT-3.3]: QoS 0..2, a valid topic name, a non-zero pid. DUP on QoS 0 is accepted:
 * [MQTT-3.3.1-2] binds the sender, and one odd message must not cost a subscriber its link.
 */
export function decodePublish(r: Reader, first: number): PublishPacket {
  const qos = (first >> 1) & 3
  if (qos > 2) throw r.fail('QoS 3 [MQTT-3.3.1-4]')
  const dup = first & 8
  const topic = r.string()
  const problem = topicNameShapeProblem(topic)
  if (problem) throw r.fail(`topic ${JSON.stringify(topic)}: ${problem}`)
  const pid = qos ? r.pid() : undefined
  const p: PublishPacket = { type: 'publish', topic, payload: r.payload(), qos: qos as QoS, retain: (first & 1) > 0, dup: dup > 0 }
  if (pid) p.pid = pid
  return p
}

const NOTHING = new MqttPayload(0)

/**
 * A PUBLISH over the size limit, from its first bytes only (topic and packet id): the payload
 * was skipped, never buffered. `size` is the whole packet's size in bytes.
 */
export function decodeSkippedPublish(r: Reader, first: number, size: number): PublishPacket {
  return { ...decodePublish(r, first), payload: NOTHING, oversize: size }
}
