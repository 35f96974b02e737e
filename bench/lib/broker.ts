/**
 * The broker for speed runs: the mosquitto daemon (native, in its own process, so it does not
 * compete with the clients for this event loop), or, where mosquitto is not installed, aedes in
 * this process (said in the output: its figures then include the broker's own work).
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
    const daemon = await startMosquitto()
    return { name: 'mosquitto 2 (own process)', url: daemon.urls.plain, stop: () => daemon.stop() }
  }
  const embedded = await startEmbeddedBroker()
  return { name: 'aedes (in this process: mosquitto not installed)', url: embedded.url, stop: () => embedded.close() }
}
