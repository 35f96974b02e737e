/**
 * The real brokers every integration scenario runs against, behind one small interface, so a
 * scenario is written once and run per broker with `describe.each(BROKERS)`:
 *
 * - `aedes`: in this process (examples/lib/embedded-broker.ts), plain TCP on a free port.
 * - `mosquitto`: the Debian daemon started for the test file (./mosquitto.ts), its plain listener.
 */
import { startEmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import { startMosquitto, type Mosquitto } from './mosquitto.js'

export type BrokerName = 'aedes' | 'mosquitto'

export const BROKERS: readonly BrokerName[] = ['aedes', 'mosquitto']

/** A broker accepting anonymous clients over plain TCP on loopback. */
export interface PlainBroker {
  name: BrokerName
  host: string
  port: number
  /** `mqtt://127.0.0.1:<port>`. */
  url: string
  /** The daemon, for mosquitto (its other listeners, its log). */
  mosquitto: Mosquitto | undefined
  /** Stops the broker and releases everything it holds. */
  stop(): Promise<void>
}

export async function startPlainBroker(name: BrokerName): Promise<PlainBroker> {
  if (name === 'aedes') {
    const embedded = await startEmbeddedBroker()
    return { name, host: embedded.host, port: embedded.port, url: embedded.url, mosquitto: undefined, stop: () => embedded.close() }
  }
  const mosquitto = await startMosquitto()
  return {
    name,
    host: mosquitto.host,
    port: mosquitto.ports.plain,
    url: mosquitto.urls.plain,
    mosquitto,
    stop: () => mosquitto.stop(),
  }
}
