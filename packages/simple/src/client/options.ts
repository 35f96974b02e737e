import { MqttError } from '@x/errno'
import type { ConnectProperties } from '../codec/v5/packet.js'
import type { TlsOptions, Transport } from '../transport/link.js'
import { printableUrl } from './printable.js'
import type { Session } from './session.js'

/** Options of `new MqttClient(options)`. */
export interface ClientOptions {
  /** The client identifier; `''` only with a clean session (the broker then makes one up). */
  clientId: string
  /**
   * A host name or address, or a URL: `mqtt://host:1883`, `mqtts://host` (TLS), `tcp://`, `tls://`;
   * or MQTT over WebSocket, `ws://host:8080/mqtt`, `wss://host/mqtt` (path `/mqtt` unless given).
   */
  server: string
  /** The broker's port. @default 1883, or 8883 with TLS (80 and 443 for ws:// and wss://); a port in `server` counts when this is not set. */
  port?: number
  /** User name (also taken from `mqtt://user:password@host`). */
  user?: string
  /** Password; MQTT 3.1.1 sends one only with a user name [MQTT-3.1.2-22]. */
  password?: string | Uint8Array
  /** Keepalive in seconds; the client pings and watches the link by itself. @default 0 (off, as in umqtt.simple2) */
  keepaliveSec?: number
  /**
   * `true`, or Node's TLS options (`ca`, `cert`, `key`, `servername`, `rejectUnauthorized`, …), for
   * `mqtts://` and `wss://` alike. Verification is on by default. In a browser only `true`.
   */
  tls?: boolean | TlsOptions
  /** Deadline for the connection, for CONNACK, for a PINGRESP and for a stalled write. @default 5000 */
  socketTimeoutMs?: number
  /** After this long without an acknowledgement a pending packet id gets `STIMEOUT`; 0 waits forever. @default 10000 */
  messageTimeoutMs?: number
  /**
   * Largest packet accepted from the broker, in bytes. A larger PUBLISH is skipped unread (and
   * acknowledged, and reported to `setCallbackOversize`); any other larger packet is EOVERSIZE.
   * @default 16 MiB
   */
  maxPacketBytes?: number
  /**
   * How to open the connection. @default `defaultTransport`: TCP/TLS, or WebSocket for ws:// and
   * wss://, with what the runtime has (Node's sockets and `ws`, a browser's WebSocket).
   */
  transport?: Transport
  /**
   * The session of another MqttClient with the same `clientId` (its `session`), to carry on here:
   * the packet ids it has in flight are sent again if this broker kept the session and get `SLOST`
   * if not, and new ones never reuse them. For moving a client between the nodes of a cluster.
   * @default a new one
   */
  session?: Session
  /** The MQTT version spoken: 4 (MQTT 3.1.1) or 5 (MQTT 5.0). @default 4 */
  protocolVersion?: 4 | 5
  /**
   * MQTT 5: the CONNECT properties (`sessionExpiryInterval`, `receiveMaximum`, `maximumPacketSize`,
   * `topicAliasMaximum`, `requestResponseInformation`, `requestProblemInformation`,
   * `userProperties`, `authenticationMethod`, `authenticationData`), sent in the order given.
   */
  properties?: ConnectProperties
  /**
   * MQTT 5: topic aliases for what this client publishes, up to the broker's Topic Alias Maximum:
   * a topic's second PUBLISH sets an alias, later ones carry the alias alone. @default true
   */
  topicAliases?: boolean
  /**
   * MQTT 5: enhanced authentication (with `properties.authenticationMethod`): called for each AUTH
   * the broker sends, with its method, data, reason code and properties; returns the data of the
   * client's answer.
   */
  onAuth?: (challenge: AuthChallenge) => Uint8Array | Promise<Uint8Array>
}

/** MQTT 5: what an AUTH from the broker asks, for `onAuth`. */
export interface AuthChallenge {
  method: string
  data: Uint8Array | undefined
  reasonCode: number
  properties: Record<string, unknown>
}

/** The options with defaults filled in and every value checked. */
export interface Settings {
  clientId: string
  host: string
  port: number
  user: string | undefined
  password: string | Uint8Array | undefined
  keepaliveSec: number
  tls: TlsOptions | undefined
  /** The WebSocket path for ws:// and wss://; `undefined` for MQTT over TCP. */
  path: string | undefined
  socketTimeoutMs: number
  messageTimeoutMs: number
  maxPacketBytes: number
  protocolVersion: 4 | 5
  properties: ConnectProperties | undefined
  topicAliases: boolean
  onAuth: ClientOptions['onAuth']
}

// URL schemes: 1 means TLS, 2 WebSocket (a table of pairs weighs more in the bundle).
const SCHEMES: Record<string, number> = { 'mqtt:': 0, 'tcp:': 0, 'mqtts:': 1, 'tls:': 1, 'ssl:': 1, 'ws:': 2, 'wss:': 3 }

const optionError = (message: string): MqttError => new MqttError('EOPTION', `Invalid option ${message}`)

function whole(name: string, value: number, min: number, max: number): number {
  if (!(Number.isInteger(value) && value >= min && value <= max))
    throw optionError(`${name}: ${value} is not a whole number from ${min} to ${max}`)
  return value
}

/** A percent-escaped part of the server URL, decoded; `undefined` when empty. */
function unescaped(part: string, name: string, shown: string): string | undefined {
  try {
    return decodeURIComponent(part) || undefined
  } catch {
    throw optionError(`server: the ${name} in ${shown} has a malformed percent-escape`)
  }
}

/** Checks the options and fills in the defaults; throws EOPTION or ECLIENTID. No message shows the password. */
export function settingsOf(o: ClientOptions): Settings {
  if (typeof o.clientId !== 'string') throw new MqttError('ECLIENTID', 'Invalid option clientId: not a string')
  let { server: host, tls, port, user, password } = o
  let path: string | undefined
  if (!host || typeof host !== 'string') throw optionError('server: a host name or URL is needed')
  if (host.includes('://')) {
    const shown = printableUrl(host)
    const url = URL.canParse(host) ? new URL(host) : undefined
    const scheme = url?.hostname ? SCHEMES[url.protocol] : undefined
    // The URL parser refuses a port past 65535 as it refuses any malformed URL: said apart.
    if (!url) whole('port', +(/:(\d+)([/?#]|$)/.exec(host)?.[1] ?? 1), 1, 65_535)
    if (!url || scheme === undefined)
      throw optionError(`server: ${shown} is not a URL with a host and one of ${Object.keys(SCHEMES).join(', ')}`)
    host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    // MQTT.js and mosquitto serve MQTT over WebSocket at /mqtt: a URL without a path means it.
    if (scheme & 2) path = (url.pathname === '/' ? '/mqtt' : url.pathname) + url.search
    tls ??= scheme % 2 > 0
    // An explicit port 0 is refused below, not taken as "no port".
    port ??= url.port === '' ? undefined : Number(url.port)
    user ??= unescaped(url.username, 'user name', shown)
    password ??= unescaped(url.password, 'password', shown)
  }
  // Its type, never the value (a token function, say: it used to fail only at connect(), as a "payload").
  if (password !== undefined && typeof password !== 'string' && !(password instanceof Uint8Array))
    throw optionError(`password: a ${typeof password} is not a string or a Uint8Array`)
  const version = o.protocolVersion ?? 4
  if (version !== 4 && version !== 5) throw optionError(`protocolVersion: ${String(version)} is not 4 (MQTT 3.1.1) or 5 (MQTT 5.0)`)
  if (version < 5) {
    if (password !== undefined && user === undefined)
      throw optionError('password: MQTT 3.1.1 sends one only with a user name [MQTT-3.1.2-22]')
    for (const name of ['properties', 'onAuth'] as const)
      if (o[name] !== undefined) throw optionError(`${name}: it is MQTT 5.0's; set protocolVersion: 5`)
  }
  tls = tls === true ? {} : tls || undefined
  return {
    clientId: o.clientId,
    host,
    port: whole('port', port ?? (path === undefined ? (tls ? 8883 : 1883) : tls ? 443 : 80), 1, 65_535),
    user,
    password,
    keepaliveSec: whole('keepaliveSec', o.keepaliveSec ?? 0, 0, 65_535),
    tls,
    path,
    socketTimeoutMs: whole('socketTimeoutMs', o.socketTimeoutMs ?? 5000, 1, 2 ** 31 - 1),
    messageTimeoutMs: whole('messageTimeoutMs', o.messageTimeoutMs ?? 10_000, 0, 2 ** 31 - 1),
    maxPacketBytes: whole('maxPacketBytes', o.maxPacketBytes ?? 2 ** 24, 2, 268_435_460),
    protocolVersion: version,
    properties: o.properties,
    topicAliases: o.topicAliases ?? true,
    onAuth: o.onAuth,
  }
}
