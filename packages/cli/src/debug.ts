/**
 * -d: what the client does, on stderr, as mosquitto_pub -d shows it: every packet sent and
 * received (through @x/simple's tracedTransport), the link opening and closing, and what the
 * command itself decides (subscribed, reconnecting). Off, it costs nothing: no tracing transport.
 */
import { defaultTransport, tracedTransport, type Transport } from '@x/simple'
import type { Io } from './io.js'
import type { Config } from './options.js'
import { tracedTransportV5 } from './trace-v5.js'

export interface Debug {
  /** Writes one line when -d is on. */
  (line: string): void
  /** The transport to connect with: traced with -d, else the client's default. */
  readonly transport: Transport | undefined
}

export function debugOf(cfg: Config, io: Io): Debug {
  const log = (line: string): void => void (cfg.debug && io.stderr.write(`Client ${cfg.client.clientId} ${line}\n`))
  const traced = cfg.protocolVersion === 5 ? tracedTransportV5 : tracedTransport
  return Object.assign(log, { transport: cfg.debug ? traced(defaultTransport, log) : undefined })
}
