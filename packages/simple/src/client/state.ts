import type { MqttError } from '@x/errno'
import type { PacketDecoder } from '../codec/decoder.js'
import type { ServerPacket } from '../codec/packet.js'
import type { Link } from '../transport/link.js'
import type { Liveness } from './liveness.js'
import type { ConnV5 } from './v5/conn.js'

/** One connection, from the socket opening to its release. */
export interface Conn {
  /** The byte pipe; `undefined` while the socket is still opening. */
  link: Link | undefined
  readonly decoder: PacketDecoder<ServerPacket>
  /** Keepalive and dead-link watch, from CONNACK on. */
  liveness: Liveness | undefined
  /** The last write found the socket's buffer full: wait for it to drain before writing more. */
  blocked: boolean
  /** Aborts the opening: the transport releases the socket it was opening. Dropped once online. */
  abort: AbortController | undefined
  /** The CONNACK deadline. */
  timer: ReturnType<typeof setTimeout> | undefined
  /** MQTT 5: what this connection agreed with the broker (limits, topic aliases, slots in flight). */
  v5?: ConnV5
}

/** What the client is doing. Everything a connection holds lives inside the state that has it. */
export type State =
  /** Not connected; `after` is the failure that ended the last connection, once it was reported. */
  | { readonly name: 'offline'; readonly after?: MqttError }
  | {
      readonly name: 'connecting'
      readonly conn: Conn
      readonly cleanSession: boolean
      /** Settles the connect() that waits: sessionPresent, or why it failed. */
      readonly settle: (outcome: boolean | MqttError) => void
    }
  | { readonly name: 'online'; readonly conn: Conn }
  /** The link broke; the next call reports `error` (once). */
  | { readonly name: 'failed'; readonly error: MqttError }

export const OFFLINE: State = { name: 'offline' }

/** The connection a state holds, if any. */
export const connOf = (state: State): Conn | undefined => ('conn' in state ? state.conn : undefined)
