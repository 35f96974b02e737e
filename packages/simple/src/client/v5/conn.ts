import type { ConnackProperties } from '../../codec/v5/packet.js'
import type { OutboundAliases } from './aliases.js'
import { Flow } from './flow.js'

/** What one MQTT 5 connection agreed with the broker, and what it holds for it. */
export interface ConnV5 {
  /** The broker's CONNACK properties: its limits. Empty until CONNACK. */
  limits: ConnackProperties
  /** The broker's Server Keep Alive, which replaces the client's [MQTT-3.2.2-21]. */
  keepaliveSec: number | undefined
  /** Slots for QoS 1 and 2 PUBLISHes under the broker's Receive Maximum. */
  readonly flow: Flow
  /** Topic aliases of what the client sends; `undefined` when none are used. */
  aliasesOut: OutboundAliases | undefined
  /** Topic aliases the broker set, alias → topic. */
  readonly aliasesIn: Map<number, string>
  /** Inbound QoS 1 and 2 packet ids not yet acknowledged in full, against the client's own Receive Maximum. */
  readonly inbound: Set<number>
}

export const connV5 = (): ConnV5 => ({
  limits: {},
  keepaliveSec: undefined,
  flow: new Flow(),
  aliasesOut: undefined,
  aliasesIn: new Map(),
  inbound: new Set(),
})
