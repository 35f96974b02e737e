/**
 * The real brokers every integration scenario runs against, behind one small interface, so a
 * scenario is written once and run per broker with `describe.each(BROKERS)`:
 *
 * - `aedes`: in this process (examples/lib/embedded-broker.ts), plain TCP on a free port.
 * - `mosquitto`: the Debian daemon started for the test file (./mosquitto.ts), its plain listener.
 * - `aedes-ws`: aedes again, reached over MQTT over WebSocket (`ws://127.0.0.1:<port>/mqtt`), so
 *   every scenario also runs over the WebSocket transport. (Debian's mosquitto 2.0.11 has a
 *   websockets listener, but it does not start on these machines.)
 *
 * `TCP_BROKERS` are the two reached over TCP, for what only TCP has (the TLS and password
 * endpoints of ./secure-brokers.ts; WebSocket TLS is in websocket-tls.test.ts).
 */
import { startEmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import { startMosquitto, type Mosquitto } from './mosquitto.js'

export type TcpBrokerName = 'aedes' | 'mosquitto'
export type BrokerName = TcpBrokerName | 'aedes-ws'

export const TCP_BROKERS: readonly TcpBrokerName[] = ['aedes', 'mosquitto']
export const BROKERS: readonly BrokerName[] = [...TCP_BROKERS, 'aedes-ws']

/** A broker accepting anonymous clients over plain TCP on loopback. */
export interface PlainBroker {
  name: BrokerName
  host: string
  port: number
  /** `mqtt://127.0.0.1:<port>`, or `ws://127.0.0.1:<port>/mqtt`. */
  url: string
  /** Whether `url` is MQTT over WebSocket (a fault proxy in front keeps the scheme and path). */
  websocket: boolean
  /** The daemon, for mosquitto (its other listeners, its log). */
  mosquitto: Mosquitto | undefined
  /** Stops the broker and releases everything it holds. */
  stop(): Promise<void>
}

export async function startPlainBroker(name: BrokerName): Promise<PlainBroker> {
  if (name === 'aedes') {
    const embedded = await startEmbeddedBroker()
    return {
      name,
      host: embedded.host,
      port: embedded.port,
      url: embedded.url,
      websocket: false,
      mosquitto: undefined,
      stop: () => embedded.close(),
    }
  }
  if (name === 'aedes-ws') {
    const embedded = await startEmbeddedBroker({ websocket: true })
    const [port, url] = [embedded.wsPort as number, embedded.wsUrl as string]
    return { name, host: embedded.host, port, url, websocket: true, mosquitto: undefined, stop: () => embedded.close() }
  }
  const mosquitto = await startMosquitto()
  return {
    name,
    host: mosquitto.host,
    port: mosquitto.ports.plain,
    url: mosquitto.urls.plain,
    websocket: false,
    mosquitto,
    stop: () => mosquitto.stop(),
  }
}
