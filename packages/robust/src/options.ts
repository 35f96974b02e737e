import { MqttError, type ClientOptions, type MqttClient, type Payload, type QoS, type WillProperties } from '@x/simple'
import type { Options as RetryOptions } from 'p-retry'
import type { Store } from './store.js'
import { checkCredentials, simpleCredentialsOf, type Credentials, type PasswordOption, type UserOption } from './credentials.js'

/** Exponential backoff between connection attempts. */
export interface ReconnectOptions {
  /** Wait before the second attempt (the first after a lost link is immediate). @default 500 */
  minDelayMs?: number
  /** Longest wait between attempts. @default 30000 */
  maxDelayMs?: number
  /** Each wait is this many times the one before. @default 2 */
  factor?: number
  /** Multiply each wait by a random factor from 1 to 2, so a fleet does not reconnect in step. @default true */
  jitter?: boolean
  /**
   * A connection that stayed up this long resets the backoff: the next outage starts again with an
   * immediate attempt. One that died sooner (a duplicate client id, a broker that kicks the client)
   * continues the backoff, so no broker behaviour can cause a tight reconnect loop. @default 10000
   */
  stableAfterMs?: number
}

/** The last will: what the broker publishes if the client vanishes without saying goodbye. */
export interface WillOptions {
  topic: string
  payload: Payload
  /** @default 0 */
  qos?: QoS
  /** @default false */
  retain?: boolean
  /** MQTT 5: the will properties (`willDelayInterval`, `messageExpiryInterval`, …). */
  properties?: WillProperties
}

/** What to do with a message published when the queue is full. */
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject'

/** The bounded queue of messages waiting to be sent (while offline, or beyond `maxInFlight`). */
export interface QueueOptions {
  /** Most messages waiting. @default 10000 */
  maxMessages?: number
  /** Most bytes (topic + payload) waiting. @default 16 MiB */
  maxBytes?: number
  /** Queue QoS 0 messages published while offline (otherwise they are dropped). @default true */
  keepQos0?: boolean
  /** When full: drop the oldest waiting message, drop the new one, or reject the new one. @default 'drop-oldest' */
  overflow?: OverflowPolicy
}

/** The part of @x/simple's MqttClient that RobustClient uses: its public API, nothing else. */
export type SimpleClient = Pick<
  MqttClient,
  | 'connect'
  | 'disconnect'
  | 'publish'
  | 'subscribe'
  | 'unsubscribe'
  | 'waitMsg'
  | 'checkMsg'
  | 'setCallback'
  | 'setCallbackStatus'
  | 'setCallbackOversize'
  | 'setLastWill'
  | 'isConnected'
  | 'isWritable'
  | 'session'
  | 'connack'
>

/** Options of `new RobustClient(options)`: every @x/simple option, and these. */
export interface RobustOptions extends Omit<ClientOptions, 'server' | 'user' | 'password'> {
  /**
   * The broker, as for @x/simple; or a list of them (the nodes of a cluster, a primary and a
   * standby): tried in order, the next one on each failed attempt and after each outage, the
   * backoff counted per round of the list. `'connect'` says which one it reached.
   */
  server: string | readonly string[]
  /**
   * User name (also taken from `mqtt://user:password@host`); or a function returning it (or a
   * promise of it), called before every connection attempt.
   */
  user?: UserOption
  /**
   * Password; or a function returning it (or a promise of it), called before every connection
   * attempt, for tokens that expire (JWT, SAS): each attempt logs in with a fresh one. A function
   * that throws, rejects or takes longer than `socketTimeoutMs` fails that attempt with ENOCON
   * (retryable: tried again with the backoff, calling the function again).
   */
  password?: PasswordOption
  /** Keepalive in seconds: a robust client must notice dead links. @default 60 */
  keepaliveSec?: number
  /**
   * With no acknowledgement this long after a QoS 1/2 message (or subscription) was sent, the link
   * is suspect and the client reconnects, sending it again; 0 turns this off. @default 10000
   */
  messageTimeoutMs?: number
  /** Keep the session on the broker across outages. @default false */
  cleanSession?: boolean
  /** Subscribe again after a reconnect where the broker kept no session. @default true */
  resubscribe?: boolean
  reconnect?: ReconnectOptions
  queue?: QueueOptions
  /**
   * Most packets sent and not yet acknowledged (QoS 1/2 messages, subscription changes); the rest
   * wait in the queue. Common brokers accept no more: mosquitto's default `max_inflight_messages`
   * is 20, and on MQTT 3.1.1 it silently drops QoS 2 messages beyond it. @default 20
   */
  maxInFlight?: number
  /** The last will, kept across reconnects. */
  will?: WillOptions
  /** Makes the underlying client; tests pass a fake. @default options => new MqttClient(options) */
  createClient?: (options: ClientOptions) => SimpleClient
  /**
   * Durable sessions: where the client keeps what it owes the broker (queued and in-flight
   * messages, inbound QoS 2 packet ids, subscriptions), so that it survives the process; e.g. a
   * `LevelStore` of `@x/level-store`. @default none (in memory only)
   */
  store?: Store
}

export interface RobustSettings {
  /** Speaking MQTT 5 (`protocolVersion: 5`). */
  mqtt5: boolean
  ackTimeoutMs: number
  cleanSession: boolean
  resubscribe: boolean
  maxInFlight: number
  reconnect: Required<ReconnectOptions>
  queue: Required<QueueOptions>
}

export const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  minDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: true,
  stableAfterMs: 10_000,
}
export const DEFAULT_QUEUE: Required<QueueOptions> = {
  maxMessages: 10_000,
  maxBytes: 16 * 1024 * 1024,
  keepQos0: true,
  overflow: 'drop-oldest',
}

function positive(name: string, value: number, min = 0, infinite = false): number {
  if (!(typeof value === 'number' && value >= min && (Number.isFinite(value) || (infinite && value === Infinity)))) {
    throw new MqttError(
      'EOPTION',
      `Invalid option ${name}: ${String(value)} is not a ${infinite ? '' : 'finite '}number of at least ${min}`,
    )
  }
  return value
}

/** Checks the robust options and fills in the defaults; throws EOPTION. */
export function robustSettingsOf(options: RobustOptions): RobustSettings {
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect }
  const queue = { ...DEFAULT_QUEUE, ...options.queue }
  checkCredentials(options)
  positive('reconnect.minDelayMs', reconnect.minDelayMs)
  positive('reconnect.maxDelayMs', reconnect.maxDelayMs, reconnect.minDelayMs, true)
  positive('reconnect.factor', reconnect.factor, 1)
  positive('reconnect.stableAfterMs', reconnect.stableAfterMs)
  positive('queue.maxMessages', queue.maxMessages, 0, true)
  positive('queue.maxBytes', queue.maxBytes, 0, true)
  if (!['drop-oldest', 'drop-newest', 'reject'].includes(queue.overflow)) {
    throw new MqttError(
      'EOPTION',
      `Invalid option queue.overflow: ${String(queue.overflow)} is not 'drop-oldest', 'drop-newest' or 'reject'`,
    )
  }
  return {
    mqtt5: options.protocolVersion === 5,
    ackTimeoutMs: positive('messageTimeoutMs', options.messageTimeoutMs ?? 10_000),
    cleanSession: options.cleanSession ?? false,
    resubscribe: options.resubscribe ?? true,
    maxInFlight: positive('maxInFlight', options.maxInFlight ?? 20, 1),
    reconnect,
    queue,
  }
}

/** The backoff as p-retry options: retry for ever, exponentially, with jitter unless turned off. */
export function retryOptionsOf(reconnect: Required<Omit<ReconnectOptions, 'stableAfterMs'>>): RetryOptions {
  return {
    retries: Infinity,
    minTimeout: reconnect.minDelayMs,
    maxTimeout: reconnect.maxDelayMs,
    factor: reconnect.factor,
    randomize: reconnect.jitter,
  }
}

/** The options of the underlying simple client: the user's, with robust's defaults. */
/** The servers to try, in order; EOPTION for an empty list. */
export function serversOf(options: RobustOptions): readonly string[] {
  const { server } = options
  if (!Array.isArray(server)) return [server as string]
  if (!server.length) throw new MqttError('EOPTION', 'Invalid option server: the list of servers is empty')
  return server
}

export function simpleOptionsOf(
  options: RobustOptions,
  server: string = serversOf(options)[0] as string,
  credentials?: Credentials,
): ClientOptions {
  const {
    reconnect: _r,
    queue: _q,
    cleanSession: _c,
    resubscribe: _s,
    maxInFlight: _m,
    createClient: _f,
    store: _st,
    will: _w,
    server: _l,
    user: _u,
    password: _p,
    ...rest
  } = options
  // Functions are called per attempt: the client gets the values of the attempt it is made for.
  const simple: ClientOptions = { ...rest, server, ...simpleCredentialsOf(options, credentials) }
  // MQTT 5: a session ends with the connection unless it has an expiry. Kept across outages as on
  // 3.1.1, it lives for ever unless the caller says otherwise (MQTT 5.0 §3.1.2.11.2).
  if (options.protocolVersion === 5 && !(options.cleanSession ?? false) && options.properties?.sessionExpiryInterval === undefined) {
    simple.properties = { ...options.properties, sessionExpiryInterval: 0xffff_ffff }
  }
  // Acknowledgement timeouts are robust's job: the simple client must never forget a packet id,
  // or a resumed session could not finish a QoS 2 exchange.
  return { ...simple, keepaliveSec: options.keepaliveSec ?? 60, messageTimeoutMs: 0 }
}
