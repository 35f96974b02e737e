import { MqttError, isMqttError, type Connack, type MqttPayload, type PublishProperties, type QoS } from '@x/simple'

/** A message as published (or, for `'oversize'`, as the broker announced it): what a `'drop'` event hands back. */
export interface Message {
  topic: string
  /** Empty for an `'oversize'` message: its payload was never read. */
  payload: Uint8Array
  qos: QoS
  retain: boolean
  /** For an `'oversize'` message: its size in bytes. */
  size?: number
  /** MQTT 5: the PUBLISH properties it was published with. */
  properties?: PublishProperties
  /** With a store: the id given in `publish(…, { id })`, or the one the client assigned; a restored message's outcome event carries it. */
  id?: string
}

/** With a store: what `connect()` found in it, owed from before the process started. */
export interface RestoredInfo {
  /** Messages still to be sent. */
  queued: number
  /** QoS 1/2 messages sent and not acknowledged: sent again with their packet ids if the broker kept the session. */
  inFlight: number
  /** Inbound QoS 2 packet ids received and not yet released (their messages are not delivered again). */
  inbound: number
  /** Subscriptions, renewed if the broker has no session. */
  subscriptions: number
}

/**
 * Why a message was dropped: the queue was full (`'overflow'`), it was QoS 0 while offline and
 * `keepQos0` is false (`'offline'`), or it came from the broker larger than `maxPacketBytes`
 * (`'oversize'`: skipped unread and acknowledged, so the link stays up), or (MQTT 5) it waited in
 * the queue past its `messageExpiryInterval` (`'expired'`), or (a restored message, whose
 * publish() promise died with the process before) the broker refused it (`'refused'`).
 */
export type DropReason = 'overflow' | 'offline' | 'oversize' | 'expired' | 'refused'

/** What arrives with each message. */
export interface MessageInfo {
  /** The broker sent it from its retained store (on subscribing). */
  retained: boolean
  /** The broker sent it before (QoS 1 may deliver twice; QoS 2 never reaches the handler twice). */
  dup: boolean
  /** The QoS it was delivered with. */
  qos: QoS
  /** MQTT 5: the PUBLISH's properties as received (`responseTopic`, `correlationData`, `userProperties`, …). */
  properties?: PublishProperties
}

/** One reconnection attempt. */
export interface ReconnectInfo {
  /** 1 for the first attempt after the link was lost (or after the first failed connect). */
  attempt: number
  /** How long the backoff waited before this attempt (0 right after a lost link). */
  delayMs: number
  /** Why the link or the previous attempt failed. */
  error: MqttError
  /** The server that link or attempt was with, as it may be printed (no password). */
  server: string
}

/** The events of RobustClient, with their arguments. */
export interface RobustEvents {
  /** Connected (first time or again); `sessionPresent` tells whether the broker kept the session; MQTT 5: its CONNACK. */
  connect: [sessionPresent: boolean, server: string, connack?: Connack]
  /** The link was lost (or suspected dead); reconnection starts at once. */
  disconnect: [error: MqttError]
  /** A connection attempt is about to start. */
  reconnecting: [info: ReconnectInfo]
  /** A message from a subscription; `payload.toString()` is its text (UTF-8). */
  message: [topic: string, payload: MqttPayload, info: MessageInfo]
  /** With a store: `connect()` restored what a process before left owed. */
  restored: [info: RestoredInfo]
  /** With a store: a restored message (its publish() promise died with the process before) was delivered. */
  delivered: [message: Message]
  /** A message was dropped: by the queue policy (its publish() promise rejects), or inbound as oversize. */
  drop: [message: Message, reason: DropReason]
  /**
   * Something went wrong that no call returns: a listener threw, a resubscription was refused, a
   * reconnect met an error no retry can fix. With no listener, it becomes a process warning.
   * An Error a listener threw comes as it was thrown; anything else is an MqttError.
   */
  error: [error: MqttError | Error]
}

/** A failure as an MqttError: anything else (thrown by a custom `createClient`, say) becomes EUNKNOWN with it as `cause`. */
export function mqttErrorOf(error: unknown): MqttError {
  if (isMqttError(error)) return error
  return new MqttError('EUNKNOWN', error instanceof Error ? error.message : String(error), { cause: error })
}

/** What an `'error'` event carries: an Error as it was thrown (a listener's own), anything else as an MqttError. */
export const errorOf = (error: unknown): MqttError | Error => (error instanceof Error ? error : mqttErrorOf(error))

/** Reports an `'error'` nobody listens for, so it is not lost: a process warning (or the console, in a browser). */
export function warn(error: unknown): void {
  const process = (globalThis as { process?: { emitWarning?: (warning: Error | string) => void } }).process
  const warning = error instanceof Error ? error : String(error)
  if (process?.emitWarning) process.emitWarning(warning)
  else console.warn(warning)
}
