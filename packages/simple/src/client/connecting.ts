import { MqttError } from '@x/errno'
import { encodeAck } from '../codec/ack.js'
import { encodeConnect } from '../codec/connect.js'
import { PacketDecoder } from '../codec/decoder.js'
import { PINGREQ } from '../codec/empty.js'
import { fromServer } from '../codec/from-server.js'
import type { ConnackPacket } from '../codec/packet.js'
import { bytesOf, fail } from './arguments.js'
import { endLeft } from './ending.js'
import { aborted, enter, leave, linkFailed, write, type Core } from './core.js'
import { connackOutcome, notConnack } from './handshake.js'
import { INBOX_LIMIT } from './inbox.js'
import { Liveness } from './liveness.js'
import { connOf, OFFLINE, type Conn, type State } from './state.js'

/**
 * Connects (closing any earlier connection first) and resolves whether the broker resumed a
 * session; see `MqttClient.connect()`.
 */
export async function connect(core: Core, cleanSession: boolean, signal: AbortSignal | undefined): Promise<boolean> {
  const o = core.o
  if (!(o.clientId || cleanSession)) {
    throw fail('ECLIENTID', 'Cannot connect: an empty clientId needs cleanSession true [MQTT-3.1.3-7]', 'connect')
  }
  // MQTT 5 is a module of its own, loaded by the first connect() that speaks it: a 3.1.1 program never loads it.
  const v5 = o.protocolVersion > 4 ? await loadV5(core) : undefined
  const connectPacket = v5
    ? v5.connectPacket(core, cleanSession)
    : encodeConnect({
        type: 'connect',
        clientId: o.clientId,
        cleanSession,
        keepaliveSec: o.keepaliveSec,
        ...(o.user === undefined ? {} : { username: o.user }),
        ...(o.password === undefined ? {} : { password: bytesOf(o.password, 'connect') }),
        ...(core.will ? { will: core.will } : {}),
      })
  signal?.throwIfAborted()
  const earlier = leave(core)
  if (earlier) void endLeft(core, earlier)
  const conn: Conn = {
    link: undefined,
    decoder: v5 ? v5.decoderOf(o) : new PacketDecoder(fromServer, o.maxPacketBytes),
    liveness: undefined,
    blocked: false,
    abort: new AbortController(),
    timer: undefined,
  }
  if (v5) conn.v5 = v5.connV5()
  let settle = (_: boolean | MqttError): void => {}
  const answer = new Promise<boolean | MqttError>((resolve) => (settle = resolve))
  enter(core, { name: 'connecting', conn, cleanSession, settle })
  const stop = (): void => {
    if (connOf(core.state) === conn) enter(core, OFFLINE, signal?.reason)
  }
  signal?.addEventListener('abort', stop)
  core
    .transport(
      { host: o.host, port: o.port, tls: o.tls, path: o.path, timeoutMs: o.socketTimeoutMs },
      { onData: (chunk) => receive(core, conn, chunk), onClose: (error) => linkFailed(core, conn, error) },
      conn.abort?.signal,
    )
    .then(
      (link) => {
        // Superseded while the socket was opening: nobody wants this link.
        if (connOf(core.state) !== conn) return link.destroy()
        conn.link = link
        // The deadline first: a transport may deliver the CONNACK within the write itself.
        const late = fail('ECONTIMEOUT', `No CONNACK from ${core.where} within ${o.socketTimeoutMs} ms (socketTimeoutMs)`, 'connect')
        conn.timer = setTimeout(() => linkFailed(core, conn, late), o.socketTimeoutMs)
        write(conn, connectPacket)
      },
      (error: unknown) => linkFailed(core, conn, error instanceof MqttError ? error : fail('ENOCON', String(error), 'connect')),
    )
  const outcome = await answer
  signal?.removeEventListener('abort', stop)
  if (typeof outcome !== 'boolean') throw outcome
  return outcome
}

/** The MQTT 5 module; a disconnect() or connect() while it loads ends this connect() (ECLOSED). */
async function loadV5(core: Core): Promise<NonNullable<Core['v5']>> {
  const left = core.left
  const v5 = (core.v5 ??= await import('./v5/protocol.js'))
  if (core.left !== left) throw aborted()
  return v5
}

/** Bytes arrived: frame them into packets; the first is CONNACK, the rest go to the inbox. */
function receive(core: Core, conn: Conn, chunk: Uint8Array): void {
  const state = core.state
  if (connOf(state) !== conn) return
  const now = (core.readAt = Date.now())
  conn.liveness?.received(now)
  const inbox = core.inbox
  try {
    const v5 = conn.v5 && core.v5
    const wrong = state.name === 'connecting' && !conn.decoder.pending ? notConnack(chunk, core.where, !!v5) : undefined
    if (wrong) throw wrong
    for (const packet of conn.decoder.push(chunk)) {
      const current = core.state
      if (connOf(current) !== conn) return // refused: the rest of the chunk is moot
      // notConnack() checked the first byte, so the first packet is a CONNACK (or, on MQTT 5, an AUTH).
      if (current.name === 'connecting') {
        if (v5) v5.handshake(core, current, packet)
        else accept(core, current, connackOutcome(packet as ConnackPacket, current.cleanSession, core.where))
      } else if (!v5 || v5.arrived(core, conn, packet)) inbox.push(packet)
    }
  } catch (error) {
    const failure = error instanceof MqttError ? error : new MqttError('EUNKNOWN', String(error), { cause: error })
    core.v5?.refuse(core, conn, failure)
    linkFailed(core, conn, failure)
  }
  const liveness = conn.liveness
  // MQTT 5: not while messages of ours are in flight (their slots, PUBREL, free only as acknowledgements are read), unless the broker's own messages fill it.
  const full = inbox.length >= INBOX_LIMIT && (!conn.v5?.flow.inFlight || inbox.messages >= INBOX_LIMIT)
  if (full && liveness && !liveness.paused) {
    liveness.paused = true
    conn.link?.pause()
  }
  // Only a whole packet ends a wait: a chunk of a big one does not (a failure wakes by itself).
  if (inbox.length) inbox.wake()
}

/**
 * What CONNACK said: refuse, or go online and resume the session. Runs on arrival, so packets
 * behind CONNACK in the same chunk find the client online.
 */
export function accept(
  core: Core,
  state: Extract<State, { name: 'connecting' }>,
  outcome: boolean | MqttError,
  resend = (again: Uint8Array[]): void => {
    for (const bytes of again) write(state.conn, bytes)
  },
): void {
  const { conn, cleanSession } = state
  if (typeof outcome !== 'boolean') return enter(core, { name: 'offline', after: outcome }, outcome)
  const o = core.o
  // What only the opening needed goes: an idle connection holds as little as it can.
  clearTimeout(conn.timer)
  conn.timer = undefined
  conn.abort = undefined
  const timeout = o.messageTimeoutMs
  const deadline = timeout ? Date.now() + timeout : Infinity
  const again = core.session.resume(outcome, (pid) => encodeAck('pubrel', pid), deadline, core.where, cleanSession)
  conn.liveness = new Liveness(
    (conn.v5?.keepaliveSec ?? o.keepaliveSec) * 1000,
    o.socketTimeoutMs,
    () => ping(core, conn),
    (reason) => linkFailed(core, conn, fail('EKEEPALIVE', `The broker stopped answering: ${reason}`)),
  )
  enter(core, { name: 'online', conn })
  resend(again)
  state.settle(outcome)
}

/** Sends PINGREQ on a live connection; an answer is due within socketTimeoutMs. */
export function ping(core: Core, conn: Conn): void {
  if (connOf(core.state) !== conn) return
  write(conn, PINGREQ)
  conn.liveness?.pinged()
}
