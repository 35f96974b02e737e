import { MqttError, type ErrorCode } from '@x/errno'
import { utf8 } from '../codec/bytes.js'
import type { QoS } from '../codec/packet.js'
import { topicFilterProblem, topicNameProblem } from '../codec/topic.js'

/**
 * The checks every argument gets before a byte is sent, each failing with an MqttError that says
 * what was wrong and which rule it breaks. Exported, so that a client built on this one (a
 * reconnecting one that queues messages) refuses the same input with the same errors at once.
 */

/** A message payload to send: text (sent as UTF-8), or bytes as any of JavaScript's binary types. */
export type Payload = string | Uint8Array | ArrayBuffer | ArrayBufferView

/** An MqttError naming the operation that failed. */
export const fail = (code: ErrorCode, message: string, operation?: string): MqttError =>
  new MqttError(code, message, operation ? { operation } : {})

/** The QoS when it is 0, 1 or 2; otherwise EQOS. */
export function qosOf(qos: unknown, operation: string): QoS {
  if (qos === 0 || qos === 1 || qos === 2) return qos
  throw fail('EQOS', `Cannot ${operation}: QoS ${String(qos)} is not 0, 1 or 2 [MQTT-3.3.1-4]`, operation)
}

/**
 * The payload as bytes (text as UTF-8, a view or buffer as the bytes it holds); otherwise
 * EPAYLOAD, also for a buffer already transferred away (detached). A view of the caller's memory,
 * not a copy: use it before the call returns, or copy it (`new Uint8Array(view)`: a Buffer's
 * `slice()` is a view too).
 */
export function bytesOf(payload: unknown, operation: string): Uint8Array {
  if (typeof payload === 'string') return utf8(payload)
  // A detached Uint8Array has no bytes: only an empty one needs the check below.
  if (payload instanceof Uint8Array && payload.length) return payload
  const view = ArrayBuffer.isView(payload)
  if (view || payload instanceof ArrayBuffer) {
    try {
      // Viewing a detached buffer throws: that is the check.
      return view ? new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) : new Uint8Array(payload as ArrayBuffer)
    } catch {
      throw fail('EPAYLOAD', `Cannot ${operation}: the payload's buffer is detached (transferred)`, operation)
    }
  }
  const kind =
    payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload === 'object' ? 'an object' : `a ${typeof payload}`
  throw fail(
    'EPAYLOAD',
    `Cannot ${operation}: the payload is ${kind}; send a string, a Uint8Array (or Buffer), an ArrayBuffer or a DataView`,
    operation,
  )
}

/** The topic name (or filter) when valid; otherwise ETOPIC (EFILTER) naming the rule it breaks. */
export function topicOf(topic: unknown, filter: boolean, operation: string): string {
  const problem = typeof topic !== 'string' ? 'not a string' : filter ? topicFilterProblem(topic) : topicNameProblem(topic)
  if (problem) {
    throw new MqttError(filter ? 'EFILTER' : 'ETOPIC', `Cannot ${operation} ${JSON.stringify(topic)}: ${problem}`, {
      topic: String(topic),
      operation,
    })
  }
  return topic as string
}
