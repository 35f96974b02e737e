/**
 * -d on MQTT 5: each packet with its reason codes and properties, as mosquitto_pub -d shows what
 * it sends and receives. @x/simple's tracedTransport keeps telling the link's story (connecting,
 * closing, lost); the packets, which it reads as MQTT 3.1.1, are read here with the v5 decoder.
 */
import { fromClientV5, fromServerV5, PacketDecoderV5 } from '@x/simple/codec'
import { tracedTransport, type TraceLog, type Transport } from '@x/simple'
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

/** Decodes one direction for the trace; stops (once said) at bytes it cannot read. */
function reader(direction: typeof fromServerV5 | typeof fromClientV5, verb: string, log: TraceLog): (bytes: Uint8Array) => void {
  let decoder: PacketDecoderV5<unknown> | undefined = new PacketDecoderV5(direction as never)
  return (bytes) => {
    try {
      for (const packet of decoder?.push(bytes) ?? []) log(`${verb} ${describePacketV5(packet as Packet)}`)
    } catch (error) {
      decoder = undefined
      log(`${verb} bytes the trace cannot read, not traced further: ${(error as Error).message}`)
    }
  }
}

/** `transport` traced as tracedTransport does, its packets read as MQTT 5. */
export function tracedTransportV5(transport: Transport, log: TraceLog): Transport {
  const packets: Transport = async (target, handlers, signal) => {
    const received = reader(fromServerV5, 'received', log)
    const sent = reader(fromClientV5, 'sending', log)
    const link = await transport(target, { ...handlers, onData: (chunk) => (received(chunk), handlers.onData(chunk)) }, signal)
    return {
      write(bytes) {
        sent(bytes)
        return link.write(bytes)
      },
      drain: () => link.drain(),
      get buffered() {
        return link.buffered
      },
      pause: () => link.pause(),
      resume: () => link.resume(),
      end: () => link.end(),
      destroy: () => link.destroy(),
    }
  }
  // tracedTransport's own packet lines (its 3.1.1 reading) are left out: the lines above replace them.
  return tracedTransport(packets, (line) => void (/^(sending|received) /.test(line) || log(line)))
}
