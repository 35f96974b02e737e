import { MqttError } from '@x/simple'
import type { QueueOptions } from './options.js'
import type { PublishOp } from './outbox.js'

/** What the queue held when a message had to wait: the figures an error names. */
export interface QueueFigures {
  messages: number
  bytes: number
}

/**
 * Why the queue policy dropped `dropped` when `incoming` had to wait, with the real figures:
 * what the queue held, its limits, and the message's own size where that is the reason.
 */
export function queueError(q: Required<QueueOptions>, held: QueueFigures, dropped: PublishOp, incoming: PublishOp): MqttError {
  const full = `the queue held ${held.messages} messages and ${held.bytes} bytes, its limits are queue.maxMessages ${q.maxMessages} and queue.maxBytes ${q.maxBytes}`
  const topic = JSON.stringify(dropped.message.topic)
  if (dropped !== incoming) {
    return new MqttError('EDROPPED', `Dropped a waiting message to ${topic} for a newer one (queue.overflow 'drop-oldest'): ${full}`, {
      topic: dropped.message.topic,
    })
  }
  const why =
    incoming.bytes > q.maxBytes
      ? `it is ${incoming.bytes} bytes, more than queue.maxBytes ${q.maxBytes}, and it cannot be sent now (offline, or maxInFlight reached)`
      : `it cannot be sent now (offline, or maxInFlight reached) and ${full}`
  return q.overflow === 'drop-newest'
    ? new MqttError('EDROPPED', `Dropped a message to ${topic} (queue.overflow 'drop-newest'): ${why}`, { topic: dropped.message.topic })
    : new MqttError('EQUEUEFULL', `Cannot publish to ${topic}: ${why}`, { topic: dropped.message.topic })
}
