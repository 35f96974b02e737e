import type { Link } from '../transport/link.js'
import { fail } from './arguments.js'
import { drained } from './back-pressure.js'
import { linkFailed, online, write, type Core } from './core.js'
import type { Pending } from './session.js'
import { connOf, type Conn } from './state.js'

/** A call waiting for room in the socket: what it sends when its turn comes, and how it settles. */
export interface Turn {
  readonly operation: string
  /** The connection it waits for: a call is never sent on a later one (another session, maybe). */
  readonly conn: Conn
  readonly send: (conn: Conn) => unknown
  readonly resolve: (value: never) => void
  readonly reject: (error: unknown) => void
}

/**
 * Runs `send` on the live connection once its socket takes more bytes, and returns what it
 * returns. Calls that find the socket full (or others already waiting) wait in line: each drain
 * lets through, in order, only what the socket takes before it is full again, so publishes made
 * all at once are held back as much as publishes awaited one by one. Throws what `online()`
 * throws; a waiting call rejects with the failure of the link it waited on.
 */
export function whenWritable<T>(core: Core, operation: string, send: (conn: Conn) => T): T | Promise<T> {
  const state = core.state
  // The usual case, with no promise made: connected, the socket has room and nobody waits for it.
  if (state.name === 'online' && !state.conn.blocked && !core.waiting.length) return send(state.conn)
  const conn = online(core, operation)
  return new Promise<T>((resolve, reject) => {
    if (core.waiting.push({ operation, conn, send, resolve: resolve as (value: never) => void, reject }) === 1) void takeTurns(core)
  })
}

/** Lets the waiting calls through, first come first served, while the socket has room; runs until none waits. */
async function takeTurns(core: Core): Promise<void> {
  const waiting = core.waiting
  for (let turn = waiting[0]; turn; turn = waiting[0]) {
    try {
      const conn = online(core, turn.operation)
      if (conn !== turn.conn) throw fail('ECONNOT', `Cannot ${turn.operation}: the connection it waited for was closed`, turn.operation)
      if (conn.blocked) {
        await room(core, conn, turn.operation)
        continue
      }
      waiting.shift()
      turn.resolve(turn.send(conn) as never)
    } catch (error) {
      // No connection, or another one: this call learns why (the failure, once), each later one
      // ECONNOT. Or its send threw, once out of line.
      if (waiting[0] === turn) waiting.shift()
      turn.reject(error)
    }
  }
}

/**
 * Waits until the socket of `conn` drains; fails a socket that takes no bytes for socketTimeoutMs
 * (EWRITELEN). Progress, not completion, is what counts: a big payload on a slow link is fine.
 */
async function room(core: Core, conn: Conn, operation: string): Promise<void> {
  const link = conn.link as Link
  const before = link.buffered
  const timeout = core.o.socketTimeoutMs
  const ok = await drained(link, timeout)
  if (connOf(core.state) !== conn) return
  if (ok) conn.blocked = false
  else if (link.buffered >= before) {
    linkFailed(
      core,
      conn,
      fail('EWRITELEN', `Cannot ${operation}: the socket took no bytes for ${timeout} ms (socketTimeoutMs)`, operation),
    )
  }
}

/**
 * Sends a packet that takes a packet id, pending until its `ack` arrives, and returns the id.
 * The id is taken and the packet written in one step, so no status can come for it before the
 * caller has it. `encode(pid)` gives the packet; it is kept, as sent, for a resumed session.
 * `wire(pid)`, when given, gives what this connection sends instead (MQTT 5: with a topic alias).
 */
export function sendWithPid(
  core: Core,
  conn: Conn,
  operation: string,
  ack: Pending['ack'],
  encode: (pid: number) => Uint8Array,
  wire?: (pid: number) => Uint8Array,
): number {
  const session = core.session
  const pid = session.nextPid(operation)
  const timeout = core.o.messageTimeoutMs
  const packet = encode(pid)
  // A small packet is cut from the codec's shared slab: kept in bytes of its own, it holds no slab alive.
  const kept = packet.length < packet.buffer.byteLength ? packet.slice() : packet
  session.pending.set(pid, { ack, packet: kept, deadline: timeout ? Date.now() + timeout : Infinity })
  write(conn, wire ? wire(pid) : packet)
  return pid
}
