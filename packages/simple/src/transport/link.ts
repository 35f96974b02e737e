import type { MqttError } from '@x/errno'

/**
 * The seam between the client and the network: a byte pipe. The Node transport implements it
 * over `node:net` / `node:tls`, the WebSocket transport over a browser's `WebSocket` (or the `ws`
 * package in Node); tests implement it in memory.
 */
export interface Link {
  /** Hands bytes to the connection; `false` when its buffer is full (wait for `drain()`). */
  write(bytes: Uint8Array): boolean
  /** Resolves when the write buffer has drained, or the link closed. */
  drain(): Promise<void>
  /** Bytes accepted by `write()` and not yet passed to the network. */
  readonly buffered: number
  /** Stops and restarts `onData` (back-pressure towards the broker). */
  pause(): void
  resume(): void
  /** Ends the connection after what was written; resolves once it is closed. */
  end(): Promise<void>
  /** Closes at once. `onClose` is not called for a close the client asked for. */
  destroy(): void
}

/** What a link reports. `onClose` runs once, with the reason when the close was not asked for. */
export interface LinkHandlers {
  onData(chunk: Uint8Array): void
  onClose(error: MqttError): void
}

/** Where to connect. */
export interface Target {
  host: string
  port: number
  /** TLS options, or `undefined` for plain TCP (or `ws://`). */
  tls: TlsOptions | undefined
  /** MQTT over WebSocket at this path (`/mqtt`, with any `?query`), or `undefined` for MQTT over TCP. */
  path: string | undefined
  /** The connection (and TLS handshake) must be up within this time. */
  timeoutMs: number
}

/**
 * TLS options as Node's `tls.connect()` takes them (`ca`, `cert`, `key`, `passphrase`,
 * `servername`, `rejectUnauthorized`, and the rest). Declared here rather than taken from
 * `node:tls`, so a browser project type-checks without Node's types. Browsers verify
 * certificates themselves and take none of these.
 */
export interface TlsOptions {
  ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  cert?: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  key?: string | Uint8Array | ReadonlyArray<string | Uint8Array | object>
  passphrase?: string
  servername?: string
  rejectUnauthorized?: boolean
  /** Any other option of Node's `tls.connect()`. */
  [option: string]: unknown
}

/**
 * Opens a link, or rejects with an MqttError (EDNS, ECONNREFUSED, ETLS, ECERT, ESOCKETTIMEOUT,
 * ENOCON). When `signal` aborts before the link is up, it releases what it opened and rejects
 * with ECLOSED at once.
 */
export type Transport = (target: Target, handlers: LinkHandlers, signal?: AbortSignal) => Promise<Link>

/** `host:port` for messages, an IPv6 address in brackets: `[::1]:1883`. */
export const addressOf = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`

/** Where a target leads, for messages: `host:port` over TCP, the URL over WebSocket. */
export const whereOf = ({ host, port, tls, path }: Pick<Target, 'host' | 'port' | 'tls' | 'path'>): string =>
  path === undefined ? addressOf(host, port) : `${tls ? 'wss' : 'ws'}://${addressOf(host, port)}${path}`
