import { MqttError } from '@x/errno'
import { addressOf, whereOf, type Transport } from './link.js'
import { networkError, type SocketError } from './network-error.js'
import { answersMqtt, answersTls } from './probe.js'
import { webSocketTransport, type WebSocketLike } from './websocket.js'

type WebSocketClass = new (url: string, protocols: string[], options?: object) => WebSocketLike

// The package name in a variable: a bundler then leaves the optional `ws` alone instead of
// failing where it is not installed.
const WS = 'ws'

/**
 * Node's WebSocket: the `ws` package when installed (it takes the TLS options and can pause
 * reading), else the global `WebSocket` of Node 22 and later, or of Node 20 run with
 * `--experimental-websocket` (no TLS options).
 */
async function load(): Promise<Transport> {
  const ws = await import(WS).then(
    (module: { WebSocket?: WebSocketClass }) => module.WebSocket,
    () => undefined,
  )
  if (ws) {
    // No permessage-deflate: MQTT payloads are the application's, compressing them costs CPU on both sides.
    return probingWrongPort(
      webSocketTransport(
        (url, protocols, tls) => new ws(url, protocols, { perMessageDeflate: false, maxPayload: MAX_FRAME, ...tls }),
        (cause, where, up) =>
          cause instanceof Error
            ? (frameTooBig(cause as SocketError, where) ?? networkError(withHint(cause as SocketError, up), where, up))
            : undefined,
      ),
    )
  }
  const global = (globalThis as { WebSocket?: WebSocketClass }).WebSocket
  if (!global) {
    throw new MqttError('EOPTION', `MQTT over WebSocket in Node ${process.version} needs the ws package: npm install ws`, {
      operation: 'connect',
    })
  }
  return webSocketTransport((url, protocols, tls) => {
    if (tls && Object.keys(tls).length) {
      throw new MqttError('EOPTION', `Cannot connect to ${url} with TLS options: Node's own WebSocket takes none; npm install ws`, {
        operation: 'connect',
      })
    }
    return new global(url, protocols)
  })
}

/**
 * The largest frame the `ws` package is let take: the largest MQTT packet (a fixed header byte,
 * four bytes of length, 268,435,455 more [MQTT-2.2.3]). ws holds a frame whole before handing it
 * over, so a poison PUBLISH a broker sends in one frame costs its size for a moment, and is then
 * skipped like any other, the link kept; frame boundaries mean nothing to MQTT [MQTT-6.0.0-2], and
 * one cut into frames is skipped as it streams by. Only a frame no MQTT packet fills ends the link
 * (frameTooBig). (ws's own default, 100 MiB, would end it for a legal packet.)
 */
const MAX_FRAME = 268_435_460

/** ws's error for a frame past MAX_FRAME, as an MqttError that says so. */
const frameTooBig = (error: SocketError, where: string): MqttError | undefined =>
  error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
    ? new MqttError('EOVERSIZE', `Connection to ${where}: a WebSocket frame larger than any MQTT packet (256 MiB)`, {
        cause: error,
      })
    : undefined

// What the ws package says when the HTTP upgrade fails, and what to check.
const UPGRADE_HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Unexpected server response: 404$/, 'no WebSocket at this path: check it (MQTT.js and mosquitto use /mqtt)'],
  [/^Unexpected server response: (301|302|307|308)$/, 'the server redirects: use the URL it redirects to'],
  [/^socket hang up$/, 'the server closed the connection during the WebSocket handshake: is this its WebSocket port (not its MQTT one)?'],
  [/subprotocol/i, 'the server did not agree to the "mqtt" subprotocol [MQTT-6.0.0-4]: is it an MQTT broker?'],
]

/** The error with what to do about it in its message, for a failed HTTP upgrade; others as they are. */
function withHint(error: SocketError, up: boolean): SocketError {
  const hint = up ? undefined : UPGRADE_HINTS.find(([pattern]) => pattern.test(error.message))?.[1]
  if (!hint) return error
  const hinted: SocketError = new Error(`${hint} (${error.message})`, { cause: error })
  if (error.code) hinted.code = error.code
  return hinted
}

/**
 * `transport`, telling a wrong port from a flaky network when the server closed the upgrade
 * unanswered (as an MQTT broker, or a TLS server spoken to in plain, does): the port is asked once
 * more, in MQTT (plain, or over the same TLS) and, for ws://, in TLS. Only an answer proves the
 * wrong port (not retryable, with the URL to use); no answer leaves the retryable error as it was.
 * The probe ends with the connect's signal.
 */
function probingWrongPort(transport: Transport): Transport {
  return (target, handlers, signal) =>
    transport(target, handlers, signal).catch(async (error: MqttError) => {
      const cause = error.cause as SocketError | undefined
      if (error.code !== 'ENOCON' || signal?.aborted || !(cause?.code === 'ECONNRESET' || cause?.code === 'EPIPE')) throw error
      const { host, port, tls, timeoutMs } = target
      const [mqtt, plainMqtt, tlsPort] = await Promise.all([
        answersMqtt(host, port, timeoutMs, signal, !!tls),
        // wss:// to a plain MQTT port: the broker hangs up on the TLS handshake.
        !!tls && answersMqtt(host, port, timeoutMs, signal, false),
        !tls && answersTls(host, port, timeoutMs, signal),
      ])
      if (!mqtt && !plainMqtt && !tlsPort) throw error
      const address = addressOf(host, port)
      const it = mqtt
        ? `an MQTT${tls ? ' over TLS' : ''} port; connect with mqtt${tls ? 's' : ''}://${address}`
        : plainMqtt
          ? `a plain MQTT port; connect with mqtt://${address}`
          : 'a TLS port; connect with wss://'
      throw new MqttError(
        mqtt ? 'EWRONGPORT' : 'ETLS',
        `Cannot connect to ${whereOf({ ...target, path: target.path ?? '/mqtt' })}: it is ${it}`,
        {
          cause: error,
          operation: 'connect',
        },
      )
    })
}

let loading: Promise<Transport> | undefined

/** MQTT over WebSocket in Node (`ws://`, `wss://`), loading `ws` on first use. */
export const runtimeWebSocket: Transport = (target, handlers, signal) =>
  (loading ??= load().catch((error: unknown) => {
    loading = undefined // installed later: found next time
    throw error
  })).then((transport) => transport(target, handlers, signal))
