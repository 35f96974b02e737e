/**
 * The encoder against the decoder on text that UTF-8 strings may not carry: U+0000
 * [MQTT-1.5.3-2] and lone surrogates, which have no UTF-8 form [MQTT-1.5.3-1]. Whatever encode()
 * accepts must decode back to the same packet on the receiving side; otherwise the client sends
 * a CONNECT the broker must treat as malformed (and close the connection without a CONNACK), or,
 * for a lone surrogate, silently sends U+FFFD and so a different client id or user name.
 *
 * Only the CONNECT strings are covered: the client checks topics and filters itself with
 * topicNameProblem / topicFilterProblem before it encodes, as encodePublish documents.
 */
import { expect, test } from 'vitest'
import { encode, fromClient, isMqttError, PacketDecoder, type Packet } from '@x/simple'
import { fingerprint } from './comparable.js'

const connect = (extra: object): Packet => ({ type: 'connect', clientId: 'c', cleanSession: true, keepaliveSec: 0, ...extra })

const fields: Array<[string, (text: string) => Packet]> = [
  ['client id', (text) => connect({ clientId: text })],
  ['user name', (text) => connect({ username: text })],
  ['will topic', (text) => connect({ will: { topic: text, payload: new Uint8Array(0), qos: 0, retain: false } })],
]

/** Whether encode() refuses the packet with an MqttError, or its bytes decode back to it. */
function refusedOrFaithful(packet: Packet): boolean {
  let bytes: Uint8Array
  try {
    bytes = encode(packet)
  } catch (error) {
    return isMqttError(error)
  }
  try {
    const decoded = [...new PacketDecoder<Packet>(fromClient).push(bytes)]
    return decoded.length === 1 && fingerprint(decoded[0]) === fingerprint(packet)
  } catch {
    return false
  }
}

test.each([
  ['U+0000', 'MQTT-1.5.3-2', 'a\u0000b'],
  ['a lone high surrogate', 'MQTT-1.5.3-1', 'a\uD800'],
  ['a lone low surrogate', 'MQTT-1.5.3-1', '\uDC00a'],
])('CONNECT strings with %s: encode() refuses them or they decode back unchanged [%s]', (_, __, text) => {
  const offenders = fields.filter(([, build]) => !refusedOrFaithful(build(text))).map(([name]) => name)
  expect(offenders).toEqual([])
})

test('CONNECT strings with U+FEFF and astral characters decode back unchanged [MQTT-1.5.3-3]', () => {
  const offenders = fields.filter(([, build]) => !refusedOrFaithful(build('\uFEFF😀é'))).map(([name]) => name)
  expect(offenders).toEqual([])
})
