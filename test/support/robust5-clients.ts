/**
 * Helpers for the @x/robust tests on MQTT 5.0 against the mosquitto daemon: options for a client
 * on a flaky link, a subscriber that tallies every payload it is handed, and a watch on the
 * acknowledgements a client receives (to count the broker's "quota exceeded" refusals, 0x97,
 * that MQTT 3.1.1 cannot show); and mosquitto behind a fault proxy for a test file.
 */
import { afterAll, beforeAll } from 'vitest'
import { RobustClient, type RobustOptions } from '@x/robust'
import { MqttClient, type ClientOptions, type QoS } from '@x/simple'
import { startFaultProxy, type FaultProxy } from './fault-proxy.js'
import { startMosquitto, type Mosquitto } from './mosquitto.js'

/** Options for a v5 client that notices a dead link within about a second and retries quickly. */
export function flakyLinkOptions5(clientId: string, server: string): RobustOptions {
  return {
    clientId,
    server,
    protocolVersion: 5,
    keepaliveSec: 1,
    socketTimeoutMs: 1000,
    messageTimeoutMs: 1000,
    reconnect: { minDelayMs: 20, maxDelayMs: 250 },
  }
}

export interface AckWatch {
  /** A `createClient` for RobustClient: the real client, with the packet observer installed. */
  createClient(options: ClientOptions): MqttClient
  /** How many PUBACK / PUBREC packets the client read with each reason code ≥ 0x80, by code. */
  readonly refusals: Map<number, number>
  /** How many of `code` were read. */
  count(code: number): number
}

/**
 * Watches the PUBACKs and PUBRECs a client reads. The packet observer is not part of robust's
 * seam, but should robust ever install one, it is still called (after the watch).
 */
export function watchAcks(): AckWatch {
  const refusals = new Map<number, number>()
  return {
    refusals,
    count: (code) => refusals.get(code) ?? 0,
    createClient: (options) => {
      const client = new MqttClient(options)
      let theirs: Parameters<MqttClient['setCallbackPacket']>[0] | undefined
      const set = client.setCallbackPacket.bind(client)
      set((p) => {
        if (p.type === 'puback' || p.type === 'pubrec') {
          const code = (p as { reasonCode?: number }).reasonCode ?? 0
          if (code >= 0x80) refusals.set(code, (refusals.get(code) ?? 0) + 1)
        }
        theirs?.(p)
      })
      client.setCallbackPacket = (callback) => {
        theirs = callback
      }
      return client
    },
  }
}

export interface Tally {
  readonly client: RobustClient
  /** How many times each payload (as text) reached the 'message' listener. */
  readonly counts: Map<string, number>
  missing(expected: Iterable<string>): string[]
  /** Payloads handed to the listener more than once. */
  duplicated(): string[]
  close(): Promise<void>
}

/** A v5 RobustClient subscribed to `filter` at `qos`, counting every payload its 'message' listener gets. */
export async function startTally(options: RobustOptions, filter: string, qos: QoS): Promise<Tally> {
  const client = new RobustClient(options)
  const counts = new Map<string, number>()
  const decoder = new TextDecoder()
  client.on('message', (_topic, payload) => {
    const text = decoder.decode(payload)
    counts.set(text, (counts.get(text) ?? 0) + 1)
  })
  await client.connect()
  await client.subscribe(filter, { qos })
  return {
    client,
    counts,
    missing: (expected) => [...expected].filter((p) => !counts.has(p)),
    duplicated: () => [...counts].filter(([, n]) => n > 1).map(([p]) => p),
    close: () => client.close(),
  }
}

/**
 * For a test file: the mosquitto daemon on its default configuration and a fault proxy in front of
 * its plain listener, started before the file's tests and stopped after them; `use` receives both.
 */
export function useMosquittoBehindProxy(use: (mosquitto: Mosquitto, proxy: FaultProxy) => void): void {
  let mosquitto: Mosquitto | undefined
  let proxy: FaultProxy | undefined
  beforeAll(async () => {
    mosquitto = await startMosquitto()
    proxy = await startFaultProxy({ targetPort: mosquitto.ports.plain })
    use(mosquitto, proxy)
  })
  afterAll(async () => {
    await proxy?.close()
    await mosquitto?.stop()
  })
}
