import { createHash } from 'node:crypto'
import { MqttPayload } from '@x/simple'
import { toHex } from './hex.js'

/**
 * A copy of a value in which every byte array is replaced by a string naming its class, its
 * length and its content (hex; a hash past 64 bytes). vitest's deep equality walks typed arrays
 * element by element, which takes seconds for the multi-megabyte fixture; a string compares at
 * once and still fails on any difference in class, length or content (a decoded payload, an
 * MqttPayload, counts as the Uint8Array it is: payloads.test.ts checks its class). Keys whose value is
 * `undefined` are kept, so `toStrictEqual` still tells `{ pid: undefined }` from no `pid`.
 */
export function comparable(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) {
    const plain = Object.getPrototypeOf(value) === Uint8Array.prototype || Object.getPrototypeOf(value) === MqttPayload.prototype
    const kind = plain ? 'Uint8Array' : value.constructor.name
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
    const content = bytes.length <= 64 ? toHex(bytes) : `${toHex(bytes, 16)} sha256 ${createHash('sha256').update(bytes).digest('hex')}`
    return `${kind}(${bytes.length}) ${content}`
  }
  if (Array.isArray(value)) return value.map(comparable)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, v] of Object.entries(value)) out[key] = comparable(v)
    return out
  }
  return value
}

/** `comparable` as one string, for comparing many results cheaply inside a loop. */
export const fingerprint = (value: unknown): string =>
  JSON.stringify(comparable(value), (_, v: unknown) => (v === undefined ? '<undefined>' : v))
