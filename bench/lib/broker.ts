/**
 * The broker for speed runs: the mosquitto daemon (native, in its own process, so it does not
 * compete with the clients for this event loop), or, where mosquitto is not installed, aedes in
 * this process (said in the output: its figures then include the broker's own work).
 *
 * Two settings differ from mosquitto's defaults, the same for every library: a quota of 1,000
 * messages in flight per client (the default 20 would silently drop QoS 2 beyond it, and a window
 * of 1,000 could not be measured), and no limit on the queue for a subscriber behind (the default
 * 1,000 would drop messages a slower subscriber has not read yet). @x/robust keeps its own default
 * of 20 in flight, as users run it, but in the rows `with maxInFlight 100: …`, which this quota allows.
 */
import { startEmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import { findProgram } from '../../scripts/find-program.mjs'
import { startMosquitto } from '../../test/support/mosquitto.js'

export interface BenchBroker {
  name: string
  url: string
  stop(): Promise<void>
}

export async function startBenchBroker(): Promise<BenchBroker> {
  if (findProgram('mosquitto')) {
    const daemon = await startMosquitto({ settings: ['max_inflight_messages 1000', 'max_queued_messages 0'] })
    return {
      name: 'mosquitto 2.0.11 (own process; quota 1000 in flight, no queue limit)',
      url: daemon.urls.plain,
      stop: () => daemon.stop(),
    }
  }
  const embedded = await startEmbeddedBroker()
  return { name: 'aedes (in this process: mosquitto not installed)', url: embedded.url, stop: () => embedded.close() }
}
