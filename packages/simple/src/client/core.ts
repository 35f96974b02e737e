import { MqttError, type DeliveryStatus } from '@x/errno'
import { DISCONNECT } from '../codec/empty.js'
import type { QoS, ServerPacket } from '../codec/packet.js'
import type { ConnackProperties, PublishProperties, WillV5 } from '../codec/v5/packet.js'
import type { MqttPayload } from '../codec/payload.js'
import { whereOf, type Link, type Transport } from '../transport/link.js'
import { fail } from './arguments.js'
import { Inbox } from './inbox.js'
import { cancelIo, type IoRound } from '../transport/io-round.js'
import type { Settings } from './options.js'
import type { Turn } from './sending.js'
import { Session } from './session.js'
import { connOf, OFFLINE, type Conn, type State } from './state.js'

/**
 * Receives each application message, inside `checkMsg()` / `waitMsg()`. The payload is a
 * Uint8Array whose `toString()` is its text (UTF-8).
 */
export type MessageCallback = (
  topic: string,
  payload: MqttPayload,
  retained: boolean,
  dup: boolean,
  qos: QoS,
  /** MQTT 5: the PUBLISH's properties as received; `undefined` on MQTT 3.1.1. */
  properties?: PublishProperties,
) => void
/**
 * Receives each delivery status (`STIMEOUT`, `SDELIVERED`, `SUNKNOWNPID`, `SREFUSED`, `SLOST`);
 * `code` is the SUBACK return code (0, 1, 2 or 0x80) for a SUBACK; on MQTT 5 the reason code of
 * the PUBACK, PUBREC, PUBCOMP, SUBACK or UNSUBACK that ended the pid (≥ 0x80: `SREFUSED`), and
 * `properties` its `reasonString` and `userProperties` when the broker sent them.
 */
export type StatusCallback = (pid: number, status: DeliveryStatus, code?: number, properties?: AckProperties) => void

/** MQTT 5: what the broker's CONNACK said (`client.connack`). */
export interface Connack {
  sessionPresent: boolean
  reasonCode: number
  /** The CONNACK properties as received: the broker's limits, Assigned Client Identifier, … */
  properties: ConnackProperties
}

/** MQTT 5: the properties an acknowledgement may carry. */
export interface AckProperties {
  reasonString?: string
  userProperties?: Record<string, string | string[]>
}
/**
 * Hears of each PUBLISH from the broker larger than `maxPacketBytes`: skipped unread, but
 * acknowledged, so the broker stops sending it and the link stays up.
 */
export type OversizeCallback = (topic: string, bytes: number, qos: QoS, retained: boolean) => void
/** Sees every packet `checkMsg()` processes, before the client acts on it. */
export type PacketCallback = (packet: ServerPacket) => void

/** Everything one client holds, shared by the modules that act on it (connecting, sending, delivery). */
export interface Core {
  readonly o: Settings
  readonly transport: Transport
  /** `host:port`, or the `ws://` URL, for messages. */
  readonly where: string
  readonly session: Session
  readonly inbox: Inbox
  /** Links left behind (DISCONNECT written), still ending gracefully; `disconnect()` cuts them. */
  readonly ending: Set<Link>
  /** What the client is doing; it changes only through `enter()`. */
  state: State
  /** When the socket was last read: a deadline before it may have passed unseen. */
  readAt: number
  /** A pending check, after one round of I/O, of deadlines that passed while nothing was read. */
  verify: IoRound | undefined
  will: WillV5 | undefined
  /** MQTT 5: the protocol module, loaded by the first connect() with protocolVersion 5. */
  v5: typeof import('./v5/protocol.js') | undefined
  /** MQTT 5: the last CONNACK accepted. */
  connack: Connack | undefined
  /** The client identifier in use: the option's, or the one the broker assigned (MQTT 5). */
  clientId: string
  /** Counts `leave()` calls: a connect() that waited for something learns whether it was cut meanwhile. */
  left: number
  /** Calls waiting, in order, for room in the socket (see `whenWritable()`). */
  readonly waiting: Turn[]
  onMessage: MessageCallback | undefined
  onStatus: StatusCallback | undefined
  onOversize: OversizeCallback | undefined
  onPacket: PacketCallback | undefined
}

export function createCore(o: Settings, transport: Transport, session = new Session()): Core {
  return {
    o,
    transport,
    where: whereOf(o),
    session,
    inbox: new Inbox(),
    ending: new Set(),
    state: OFFLINE,
    readAt: 0,
    verify: undefined,
    will: undefined,
    v5: undefined,
    connack: undefined,
    clientId: o.clientId,
    left: 0,
    waiting: [],
    onMessage: undefined,
    onStatus: undefined,
    onOversize: undefined,
    onPacket: undefined,
  }
}

export const aborted = (): MqttError => fail('ECLOSED', 'Connect aborted by disconnect() or another connect()', 'connect')

/**
 * The one place the state changes. Leaving a connection releases it (timers, keepalive, the
 * socket, or the opening under way); leaving 'connecting' for anything but 'online' settles the
 * connect() that waits, with `reason`.
 */
export function enter(core: Core, next: State, reason: unknown = aborted()): void {
  const prev = core.state
  core.state = next
  const conn = connOf(prev)
  if (conn && conn !== connOf(next)) {
    clearTimeout(conn.timer)
    conn.liveness?.stop()
    conn.abort?.abort()
    conn.link?.destroy()
    conn.v5?.flow.end()
  }
  if (prev.name === 'connecting' && next.name !== 'online') {
    prev.settle(reason instanceof MqttError ? reason : fail('ECLOSED', `Connect aborted: ${String(reason)}`, 'connect'))
  }
  if (next.name !== 'online') {
    cancelIo(core.verify)
    core.verify = undefined
  }
}

/** The link broke: release it, and keep the error for the next call (or the connect() under way). */
export function linkFailed(core: Core, conn: Conn, error: MqttError): void {
  const state = core.state
  if (connOf(state) !== conn) return
  if (state.name === 'connecting') enter(core, { name: 'offline', after: error }, error)
  else enter(core, { name: 'failed', error })
  core.inbox.wake()
}

export function write(conn: Conn, bytes: Uint8Array): void {
  conn.liveness?.sent()
  const link = conn.link as Link
  if (link.write(bytes) || conn.blocked) return
  // Full: the next publish waits for room. Once the buffer drains, `isWritable` says so again by
  // itself, not only when a publish has asked (a program may poll it before publishing).
  conn.blocked = true
  void link.drain().then(() => conn.link === link && (conn.blocked = false))
}

/**
 * The live connection, or the reason there is none: the failure that ended the last one (once:
 * reporting it ends 'failed'), else ECONNOT with that failure as its cause.
 */
export function online(core: Core, operation: string): Conn {
  const state = core.state
  if (state.name === 'online') return state.conn
  if (state.name === 'failed') {
    enter(core, { name: 'offline', after: state.error })
    throw state.error
  }
  const after = state.name === 'offline' ? state.after : undefined
  const why = state.name === 'connecting' ? 'still connecting' : after ? `the connection was lost (${after.message})` : 'not connected'
  throw new MqttError('ECONNOT', `Cannot ${operation}: ${why}`, after ? { operation, cause: after } : { operation })
}

/** Goes offline, sending DISCONNECT (`goodbye`) first when online; returns the link, to be ended gracefully. */
export function leave(core: Core, goodbye: Uint8Array = DISCONNECT): Link | undefined {
  const state = core.state
  let link: Link | undefined
  core.left++
  if (state.name === 'online') {
    write(state.conn, goodbye)
    link = state.conn.link
    state.conn.link = undefined
  }
  enter(core, OFFLINE)
  core.inbox.clear()
  core.inbox.wake()
  return link
}
