/**
 * The codecs alone, no network: encoding and decoding PUBLISH packets with @x/simple's codec and
 * with mqtt-packet (MQTT.js's). Decoding goes through each one's streaming parser, fed in 64 KiB
 * chunks as a socket would.
 */
import { PacketDecoder, encodePublish, fromServer } from '@x/simple'
import mqttPacket from 'mqtt-packet'

const CHUNK = 64 * 1024

function chunks(packets: Uint8Array[]): Uint8Array[] {
  const total = packets.reduce((n, p) => n + p.length, 0)
  const stream = new Uint8Array(total)
  let at = 0
  for (const p of packets) {
    stream.set(p, at)
    at += p.length
  }
  const out: Uint8Array[] = []
  for (let i = 0; i < total; i += CHUNK) out.push(stream.subarray(i, i + CHUNK))
  return out
}

export interface CodecTimes {
  encodeMs: number
  decodeMs: number
}

export function ourCodec(count: number, size: number): CodecTimes {
  const payload = new Uint8Array(size).fill(97)
  let started = performance.now()
  const packets: Uint8Array[] = []
  for (let i = 0; i < count; i++)
    packets.push(
      encodePublish({ type: 'publish', topic: 'bench/codec/topic', payload, qos: 1, retain: false, dup: false, pid: (i % 65535) + 1 }),
    )
  const encodeMs = performance.now() - started
  const input = chunks(packets)
  started = performance.now()
  const decoder = new PacketDecoder(fromServer)
  let decoded = 0
  for (const chunk of input) for (const _ of decoder.push(chunk)) decoded++
  const decodeMs = performance.now() - started
  if (decoded !== count) throw new Error(`@x/simple decoded ${decoded} of ${count}`)
  return { encodeMs, decodeMs }
}

export function theirCodec(count: number, size: number): CodecTimes {
  const payload = Buffer.alloc(size, 97)
  let started = performance.now()
  const packets: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    packets.push(
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'bench/codec/topic',
        payload,
        qos: 1,
        retain: false,
        dup: false,
        messageId: (i % 65535) + 1,
      }),
    )
  }
  const encodeMs = performance.now() - started
  const input = chunks(packets).map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))
  started = performance.now()
  const parser = mqttPacket.parser({ protocolVersion: 4 })
  let decoded = 0
  parser.on('packet', () => decoded++)
  for (const chunk of input) parser.parse(chunk)
  const decodeMs = performance.now() - started
  if (decoded !== count) throw new Error(`mqtt-packet decoded ${decoded} of ${count}`)
  return { encodeMs, decodeMs }
}
