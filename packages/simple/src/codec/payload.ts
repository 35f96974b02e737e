// Not fatal, unlike the decoder of topics: payload bytes that are not UTF-8 read as U+FFFD.
const text = new TextDecoder()

/**
 * A received payload: the bytes as they came, a Uint8Array, whose `toString()` is their text
 * (UTF-8), so `payload.toString()` reads as it does with MQTT.js's Buffers, in Node and in
 * browsers alike. Everything else is a plain Uint8Array.
 */
export class MqttPayload extends Uint8Array {
  override toString(): string {
    return text.decode(this)
  }
}
