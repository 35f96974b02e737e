import type { Link } from '../transport/link.js'
import { fail } from './arguments.js'
import { drained } from './back-pressure.js'
import { linkFailed, online, write, type Core } from './core.js'
import type { Pending } from './session.js'
import { connOf, type Conn } from './state.js'

/**
 * The live connection once its socket takes more bytes (respecting back-pressure); fails a socket
 * that takes none for socketTimeoutMs (EWRITELEN). Throws what `online()` throws.
 */
export function room(core: Core, operation: string): Conn | Promise<Conn> {
  const state = core.state
  // The usual case, with no promise made: connected, and the socket has room.
  if (state.name === 'online' && !state.conn.blocked) return state.conn
  return roomLater(core, operation)
}

async function roomLater(core: Core, operation: string): Promise<Conn> {
  let conn = online(core, operation)
  while (conn.blocked) {
    const link = conn.link as Link
    const before = link.buffered
    const timeout = core.o.socketTimeoutMs
    const ok = await drained(link, timeout)
    if (connOf(core.state) === conn) {
      // Progress, not completion, is what counts: a big payload on a slow link is fine.
      if (ok) conn.blocked = false
      else if (link.buffered >= before) {
        linkFailed(
          core,
          conn,
          fail('EWRITELEN', `Cannot ${operation}: the socket took no bytes for ${timeout} ms (socketTimeoutMs)`, operation),
        )
      }
    }
    conn = online(core, operation)
  }
  return conn
}

/**
 * Sends a packet that takes a packet id, pending until its `ack` arrives, and returns the id.
 * The id is taken and the packet written in one step, so no status can come for it before the
 * caller has it. `encode(pid, again)` builds the packet (again: for a resumed session, with DUP
 * on a PUBLISH).
 */
export function sendWithPid(
  core: Core,
  conn: Conn,
  operation: string,
  ack: Pending['ack'],
  encode: (pid: number, again: boolean) => Uint8Array,
): number {
  const session = core.session
  const pid = session.nextPid(operation)
  const timeout = core.o.messageTimeoutMs
  session.pending.set(pid, { ack, again: () => encode(pid, true), deadline: timeout ? Date.now() + timeout : Infinity })
  write(conn, encode(pid, false))
  return pid
}
