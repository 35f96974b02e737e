import { SLOST, STIMEOUT } from '@x/errno'
import type { PublishPacket, ServerPacket } from '../codec/packet.js'
import type { PublishProperties } from '../codec/v5/packet.js'
import type { MqttPayload } from '../codec/payload.js'
import { linkFailed, online, write, type Core } from './core.js'
import { INBOX_LIMIT } from './inbox.js'
import { react } from './inbound.js'
import { afterIo } from '../transport/io-round.js'
import type { Liveness } from './liveness.js'
import { connOf, type Conn } from './state.js'

/**
 * `checkMsg()`: processes every packet already received, runs the callbacks, answers the broker,
 * reports SLOST and STIMEOUT, and returns how many packets it processed. Never waits. After
 * `disconnect()` from inside a callback (or a broken rule), nothing more runs.
 */
export function checkMsg(core: Core): number {
  const state = core.state
  if (state.name !== 'failed') online(core, 'check messages')
  const conn = connOf(state)
  const { session, inbox } = core
  if (session.lost.length) for (const pid of session.lost.splice(0)) if (core.state === state) core.onStatus?.(pid, SLOST)
  const batch = inbox.take()
  let done = 0
  try {
    while (done < batch.length && core.state === state) handle(core, conn, batch[done++] as ServerPacket)
  } finally {
    // A callback threw: keep what it did not reach for the next call.
    if (done < batch.length && core.state === state) inbox.putBack(batch.slice(done))
  }
  if (core.state === state && state.name === 'online') expire(core)
  const liveness = conn?.liveness
  if (liveness?.paused && inbox.length < INBOX_LIMIT) {
    liveness.paused = false
    conn?.link?.resume()
  }
  // The link failed (now, or before this call and its packets were still to deliver): report it.
  if (core.state.name === 'failed') online(core, 'check messages')
  return done
}

/** A message as either version decodes it (an MQTT 5 one has properties, a 3.1.1 one may be a skipped oversize). */
type PublishPacketV5 = PublishPacket & { properties?: PublishProperties }

/** Acts on one received packet: acknowledgement first, then the callback. */
function handle(core: Core, conn: Conn | undefined, p: ServerPacket): void {
  core.onPacket?.(p)
  const r = core.v5 ? core.v5.react(core, conn, p) : react(core.session, p)
  // Acknowledged before the callback runs: in 3.1.1 the broker sends nothing again on this
  // connection, so a callback that throws must not leave the message stuck in flight.
  if (r.reply && conn?.link) write(conn, r.reply)
  if (r.error && conn) {
    core.v5?.refuse(core, conn, r.error)
    return linkFailed(core, conn, r.error)
  }
  const m = r.message as PublishPacketV5 | undefined
  if (m?.oversize !== undefined) core.onOversize?.(m.topic, m.oversize, m.qos, m.retain)
  // Decoded by the codec, the payload is an MqttPayload.
  else if (m) core.onMessage?.(m.topic, m.payload as MqttPayload, m.retain, m.dup, m.qos, m.properties)
  const s = r.status
  if (s) core.onStatus?.(s.pid, s.status, s.granted, s.properties)
}

/**
 * Reports STIMEOUT for packet ids past their deadline. A deadline that passed while nothing
 * was read (a busy program) is judged only after one round of I/O, which may bring its ack.
 */
function expire(core: Core): void {
  if (unread(core)) return verifySoon(core)
  const state = core.state
  for (const pid of core.session.expire(core.readAt)) if (core.state === state) core.onStatus?.(pid, STIMEOUT)
}

/** Whether a pending deadline has passed with the socket not read since. */
function unread(core: Core): boolean {
  const due = core.session.nextDeadline
  return due <= Date.now() && core.readAt < due
}

/** After one round of I/O, counts the socket as read up to now, and wakes any wait. */
function verifySoon(core: Core): void {
  const now = Date.now()
  core.verify ??= afterIo(() => {
    core.verify = undefined
    core.readAt = Math.max(core.readAt, now)
    core.inbox.wake()
  })
}

/**
 * `waitMsg()`: waits until a packet arrives (or `timeoutMs` passes, or a pending packet id
 * reaches its deadline), then does what `checkMsg()` does. Without `timeoutMs` a dead link ends
 * the wait: keepalive, or a probing PINGREQ when keepalive is off.
 */
export async function waitMsg(core: Core, timeoutMs: number | undefined): Promise<number> {
  const state = core.state
  const { session, inbox } = core
  if (state.name === 'online' && !inbox.length && !session.lost.length) {
    const liveness = state.conn.liveness as Liveness
    const deadline = core.verify ? Infinity : session.nextDeadline
    const until = Math.min(timeoutMs === undefined ? Infinity : Date.now() + timeoutMs, deadline)
    const probing = timeoutMs === undefined ? 1 : 0
    liveness.probing += probing
    liveness.arm()
    // arm() may have found the link dead already (the program was busy): then do not wait.
    if (core.state === state) await inbox.wait(until - Date.now())
    // Woken at a deadline: let one round of I/O read what the socket holds before judging it.
    if (core.state === state && !inbox.length && unread(core)) {
      verifySoon(core)
      await inbox.wait(Infinity)
    }
    liveness.probing -= probing
  }
  return checkMsg(core)
}
