/**
 * -d on MQTT 5: each packet with its reason codes and properties, as mosquitto_pub -d shows what
 * it sends and receives: @x/simple's tracedTransport, reading the packets with the v5 decoders.
 */
import { fromClientV5, fromServerV5, PacketDecoderV5 } from '@x/simple/codec'
import { tracedTransport, type TraceLog, type TraceReading, type Transport } from '@x/simple'
import { reasonText } from './reason-codes.js'

type Packet = { type: string } & Record<string, unknown>

/** A property value as text: bytes by their length (authentication data may be a secret). */
const valueText = (value: unknown): string => (value instanceof Uint8Array ? `${value.length} bytes` : JSON.stringify(value))

function propertiesText(properties: unknown): string {
  const entries = Object.entries((properties ?? {}) as Record<string, unknown>)
  return entries.length ? `, properties {${entries.map(([name, value]) => `${name}: ${valueText(value)}`).join(', ')}}` : ''
}

const quoted = (s: unknown): string => JSON.stringify(s)

/** One v5 packet as one line: `PUBACK (m1, 0x87 not authorized, properties {reasonString: "…"})`. */
export function describePacketV5(p: Packet): string {
  const name = p.type.toUpperCase()
  const props = propertiesText(p['properties'])
  const reason = typeof p['reasonCode'] === 'number' ? `, ${reasonText(p['reasonCode'])}` : ''
  const pid = p['pid'] === undefined ? '' : `m${p['pid'] as number}`
  switch (p.type) {
    case 'connect': {
      const will = p['will'] as { topic: string; qos: number; retain: boolean; payload: Uint8Array; properties?: unknown } | undefined
      const parts = [
        `id ${quoted(p['clientId'])}`,
        `clean start ${+(p['cleanStart'] as boolean)}`,
        `keepalive ${p['keepaliveSec'] as number} s`,
      ]
      if (p['username'] !== undefined) parts.push(`user ${quoted(p['username'])}${p['password'] ? ' with password' : ''}`)
      if (will)
        parts.push(
          `will ${quoted(will.topic)} q${will.qos} r${+will.retain} ${will.payload.length} bytes${propertiesText(will.properties).replace(', properties', ' with properties')}`,
        )
      return `${name} (${parts.join(', ')}${props})`
    }
    case 'connack':
      return `${name} (session present ${+(p['sessionPresent'] as boolean)}${reason}${props})`
    case 'publish':
      return `${name} (d${+(p['dup'] as boolean)}, q${p['qos'] as number}, r${+(p['retain'] as boolean)}, m${(p['pid'] as number | undefined) ?? 0}, ${quoted(p['topic'])}, ${(p['payload'] as Uint8Array).length} bytes${props})`
    case 'subscribe': {
      const subs = p['subscriptions'] as Array<{ filter: string; qos: number }>
      return `${name} (${pid}, ${subs.map((s) => `${quoted(s.filter)} q${s.qos}`).join(', ')}${props})`
    }
    case 'suback':
    case 'unsuback':
      return `${name} (${pid}, ${(p['reasonCodes'] as number[]).map((c) => reasonText(c)).join(', ')}${props})`
    default:
      return `${name} (${[pid, reason.slice(2), props.slice(2)].filter(Boolean).join(', ')})`.replace(' ()', '')
  }
}

/** How -d reads packets on MQTT 5: with the v5 decoders, each told by `describePacketV5`. */
const MQTT_5: TraceReading = {
  decoders: () => ({ received: new PacketDecoderV5(fromServerV5), sending: new PacketDecoderV5(fromClientV5) }),
  describe: (packet) => describePacketV5(packet as Packet),
}

/** `transport` traced as tracedTransport does, its packets read as MQTT 5. */
export const tracedTransportV5 = (transport: Transport, log: TraceLog): Transport => tracedTransport(transport, log, MQTT_5)
