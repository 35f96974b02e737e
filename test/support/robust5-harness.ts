/**
 * RobustClients at MQTT 5 against scripted v5 brokers (fake-broker.ts in its v5 mode, on real
 * loopback TCP), for tests about what robust puts on the wire and how it reacts to the broker's
 * reason codes. Everything made here (brokers, clients, answering loops) is closed after each
 * test, clients first, so no test file leaves a socket or timer behind.
 *
 * - `broker5()`: a v5 FakeBroker; `script(broker, ...handlers)`: the n-th connection gets the n-th
 *   handler (the last one for every later connection).
 * - `holdConnack(untilMs)`: a handler that reads CONNECT and answers only at a given time: the
 *   client is offline (connecting) until then, as during an outage.
 * - `autoAnswer(conn)`: answers PUBLISH, PUBREL, SUBSCRIBE, UNSUBSCRIBE and PINGREQ as a broker
 *   would, with reason codes the test may choose per packet.
 * - `robust5(options)`: a RobustClient with `protocolVersion: 5` whose events are recorded with
 *   their time.
 * - `publishesOf(broker)`: every PUBLISH the client sent, on any connection, with when it was seen.
 */
import { afterEach } from 'vitest'
import { RobustClient, type RobustOptions } from '@x/robust'
import type { ConnackPacketV5, ConnectPacketV5, PublishPacketV5, SubscribePacketV5 } from '@x/simple/codec'
import { answerWith, FakeBroker, type FakeConnection } from './fake-broker.js'
import { now, sleep, waitFor, withDeadline } from './wait.js'

export type Broker5 = FakeBroker<5>
export type Conn5 = FakeConnection<5>
export type Handler = (conn: Conn5) => void | Promise<void>

/** One event of a client: its name, its arguments, and when it came (ms, `now()`). */
export interface Event {
  name: string
  args: unknown[]
  at: number
}

const cleanup: Array<() => Promise<unknown>> = []

afterEach(async () => {
  const failures: unknown[] = []
  for (const step of cleanup.splice(0).reverse()) {
    try {
      await withDeadline(step(), 5000, 'closing what robust5-harness made')
    } catch (error) {
      failures.push(error)
    }
  }
  if (failures.length) throw failures[0]
})

/** Runs `step` after the current test (in reverse order of registration). */
export function atEnd(step: () => Promise<unknown>): void {
  cleanup.push(step)
}

/** A scripted MQTT 5 broker on 127.0.0.1, closed after the test. */
export async function broker5(...handlers: Handler[]): Promise<Broker5> {
  const broker = await FakeBroker.start({ protocolVersion: 5 })
  atEnd(() => broker.close())
  if (handlers.length) script(broker, ...handlers)
  return broker
}

/** The n-th connection is handled by the n-th handler, every later one by the last. */
export function script(broker: Broker5, ...handlers: Handler[]): void {
  broker.onConnection = (conn) => {
    const n = broker.connections.indexOf(conn)
    const handler = handlers[Math.min(n, handlers.length - 1)] as Handler
    return handler(conn)
  }
}

/** Accepts with this CONNACK (no session, no properties unless given). */
export const accept = answerWith

/** Reads CONNECT, then holds the CONNACK until `at` (a `now()` time, or a function giving it). */
export function holdConnack(at: number | (() => number), connack: Omit<Partial<ConnackPacketV5>, 'type'> = {}): Handler {
  return async (conn) => {
    await conn.next('connect', 5000)
    const until = typeof at === 'number' ? at : at()
    while (now() < until && !conn.isClosed) await sleep(Math.min(10, until - now()))
    if (!conn.isClosed) conn.send({ type: 'connack', sessionPresent: false, reasonCode: 0, ...connack })
  }
}

export interface Answers {
  /** The reason code of the PUBACK (QoS 1) or PUBREC (QoS 2) for this PUBLISH; 'ignore' sends none. @default 0 */
  publish?: (p: PublishPacketV5) => number | 'ignore'
  /** The SUBACK reason code for each subscription; the requested QoS by default. */
  subscribe?: (p: SubscribePacketV5) => number[]
}

/**
 * Answers what the client sends on this connection, as a broker would, until it closes: PUBACK or
 * PUBREC for a PUBLISH (then PUBCOMP for its PUBREL), SUBACK, UNSUBACK, PINGRESP. Packets stay in
 * `conn.log` for the test to read.
 */
export function autoAnswer(conn: Conn5, answers: Answers = {}): void {
  const loop = async (): Promise<void> => {
    while (!conn.isClosed) {
      for (const p of conn.received.splice(0)) {
        if (p.type === 'publish' && p.qos && p.pid !== undefined) {
          const code = answers.publish?.(p) ?? 0
          if (code !== 'ignore') conn.send({ type: p.qos === 1 ? 'puback' : 'pubrec', pid: p.pid, reasonCode: code })
        } else if (p.type === 'pubrel') conn.send({ type: 'pubcomp', pid: p.pid })
        else if (p.type === 'subscribe') {
          const reasonCodes = answers.subscribe?.(p) ?? p.subscriptions.map((s) => s.qos)
          conn.send({ type: 'suback', pid: p.pid, reasonCodes })
        } else if (p.type === 'unsubscribe') conn.send({ type: 'unsuback', pid: p.pid, reasonCodes: p.filters.map(() => 0) })
        else if (p.type === 'pingreq') conn.send({ type: 'pingresp' })
      }
      await sleep(2)
    }
  }
  void loop()
}

/** Accepts (with this CONNACK) and answers everything after, as `autoAnswer`. */
export function acceptAndAnswer(connack: Parameters<typeof answerWith>[0] = {}, answers: Answers = {}): Handler {
  return async (conn) => {
    await answerWith(connack)(conn)
    autoAnswer(conn, answers)
  }
}

export interface Client5 {
  client: RobustClient
  events: Event[]
}

const EVENTS = ['connect', 'disconnect', 'reconnecting', 'message', 'drop', 'error'] as const

/**
 * A RobustClient at MQTT 5 (client id 'dev-1', 50 ms backoff without jitter unless given), its
 * events recorded; closed after the test.
 */
export function robust5(options: Partial<RobustOptions> & Pick<RobustOptions, 'server'>): Client5 {
  const client = new RobustClient({
    clientId: 'dev-1',
    protocolVersion: 5,
    ...options,
    reconnect: { minDelayMs: 50, maxDelayMs: 200, jitter: false, ...options.reconnect },
  } as RobustOptions)
  const events: Event[] = []
  for (const name of EVENTS) {
    ;(client.on as (event: string, listener: (...args: unknown[]) => void) => void)(name, (...args: unknown[]) => {
      events.push({ name, args, at: now() })
    })
  }
  atEnd(() => client.close())
  return { client, events }
}

/** The events of one kind, in order. */
export const eventsNamed = (events: Event[], name: string): Event[] => events.filter((e) => e.name === name)

/** Waits for the n-th (1-based) event of this name and returns it. */
export async function nthEvent(events: Event[], name: string, n = 1, timeoutMs = 5000): Promise<Event> {
  await waitFor(() => eventsNamed(events, name).length >= n, `'${name}' event #${n}`, timeoutMs)
  return eventsNamed(events, name)[n - 1] as Event
}

export interface SeenPublish {
  packet: PublishPacketV5
  conn: Conn5
  /** Which connection of the broker (0 = first). */
  link: number
  /** When the test's polling first saw it (within a few ms of its arrival). */
  at: number
}

/**
 * Watches every PUBLISH the client sends to `broker` (from `conn.log`, so packets a handler took
 * count too), with the time each was first seen; `stop()` ends the polling.
 */
export function watchPublishes(broker: Broker5): { seen: SeenPublish[]; stop: () => void } {
  const seen: SeenPublish[] = []
  const known = new Set<object>()
  let stopped = false
  const loop = async (): Promise<void> => {
    while (!stopped) {
      broker.connections.forEach((conn, link) => {
        for (const p of conn.log) {
          if (p.type !== 'publish' || known.has(p)) continue
          known.add(p)
          seen.push({ packet: p, conn, link, at: now() })
        }
      })
      await sleep(2)
    }
  }
  void loop()
  const stop = (): void => {
    stopped = true
  }
  atEnd(async () => stop())
  return { seen, stop }
}

/** The CONNECT this connection received (a handler may have taken it already: read from the log), and its exact bytes. */
export async function connectIn(conn: Conn5, timeoutMs = 5000): Promise<[packet: ConnectPacketV5, bytes: Uint8Array]> {
  await waitFor(() => conn.log.some((p) => p.type === 'connect'), 'a CONNECT', timeoutMs)
  const connect = conn.log.find((p): p is ConnectPacketV5 => p.type === 'connect') as ConnectPacketV5
  return [connect, conn.bytesOf(connect)]
}

/** The PUBLISH packets of one connection's log. */
export const publishesIn = (conn: Conn5): PublishPacketV5[] => conn.log.filter((p): p is PublishPacketV5 => p.type === 'publish')

/** A Server Reference naming this broker as MQTT 5.0's examples write one (host:port). */
export const referenceTo = (url: string): string => new URL(url).host

export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes)
