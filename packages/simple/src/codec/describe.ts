import type { Packet } from './packet.js'

// CONNACK return codes [MQTT-3.2.2-3], for a trace a reader need not look up.
const RETURN_CODES = [
  'accepted',
  'bad protocol version',
  'identifier rejected',
  'server unavailable',
  'bad user name or password',
  'not authorized',
]

const quoted = (s: string): string => JSON.stringify(s)

/**
 * One packet as one line of text, in the spirit of mosquitto's `-d` output:
 * `PUBLISH (d0, q1, r0, m7, "a/b", 5 bytes)`. For traces and debugging, never parsed. A password
 * is never shown, only whether there is one; payloads only by size.
 */
export function describePacket(p: Packet): string {
  const name = p.type.toUpperCase()
  switch (p.type) {
    case 'connect': {
      const parts = [`id ${quoted(p.clientId)}`, p.cleanSession ? 'clean session' : 'persistent session', `keepalive ${p.keepaliveSec} s`]
      if (p.username !== undefined) parts.push(`user ${quoted(p.username)}${p.password ? ' with password' : ''}`)
      if (p.will) parts.push(`will ${quoted(p.will.topic)} q${p.will.qos} r${+p.will.retain} ${p.will.payload.length} bytes`)
      return `${name} (${parts.join(', ')})`
    }
    case 'connack':
      return `${name} (session present ${+p.sessionPresent}, ${p.returnCode}: ${RETURN_CODES[p.returnCode] ?? 'unknown return code'})`
    case 'publish': {
      const size = p.oversize === undefined ? `${p.payload.length} bytes` : `oversize: ${p.oversize} bytes, skipped`
      return `${name} (d${+p.dup}, q${p.qos}, r${+p.retain}, m${p.pid ?? 0}, ${quoted(p.topic)}, ${size})`
    }
    case 'subscribe':
      return `${name} (m${p.pid}, ${p.subscriptions.map((s) => `${quoted(s.filter)} q${s.qos}`).join(', ')})`
    case 'suback':
      return `${name} (m${p.pid}, ${p.returnCodes.map((c) => (c === 0x80 ? 'refused' : `granted q${c}`)).join(', ')})`
    case 'unsubscribe':
      return `${name} (m${p.pid}, ${p.filters.map(quoted).join(', ')})`
    case 'pingreq':
    case 'pingresp':
    case 'disconnect':
      return name
    default:
      return `${name} (m${p.pid})`
  }
}
