/**
 * The far side of a fault test: a client connected straight to the broker (never through the
 * proxy) that counts every payload it receives on a topic filter, so a test can tell lost from
 * duplicated messages.
 */
import { MqttClient } from '@x/simple'
import type { QoS } from '@x/simple'

export interface Counter {
  /** How many times each payload (as text) arrived. */
  readonly counts: Map<string, number>
  /** Payloads received, duplicates included. */
  readonly received: number
  /** The expected payloads that never arrived. */
  missing(expected: Iterable<string>): string[]
  /** Payloads that arrived more than once. */
  duplicated(): string[]
  /** What ended the counting loop early, if anything did: the far side must not fail silently. */
  readonly failure: unknown
  stop(): Promise<void>
}

export async function startCounter(url: string, filter: string, qos: QoS, clientId: string): Promise<Counter> {
  const client = new MqttClient({ clientId, server: url, keepaliveSec: 10 })
  const counts = new Map<string, number>()
  let received = 0
  const decoder = new TextDecoder()
  client.setCallback((_topic, payload) => {
    const text = decoder.decode(payload)
    counts.set(text, (counts.get(text) ?? 0) + 1)
    received++
  })
  let subscribed = false
  client.setCallbackStatus(() => (subscribed = true))
  await client.connect()
  await client.subscribe(filter, { qos })
  const deadline = Date.now() + 5000
  while (!subscribed && Date.now() < deadline) await client.waitMsg(50)
  if (!subscribed) throw new Error(`no SUBACK for ${filter}`)
  let running = true
  let failure: unknown
  // Its own loop: the test's awaits must not starve it.
  const loop = (async () => {
    try {
      while (running) await client.waitMsg(50)
    } catch (error) {
      failure = error
    }
  })()
  return {
    counts,
    get received() {
      return received
    },
    get failure() {
      return failure
    },
    missing: (expected) => [...expected].filter((p) => !counts.has(p)),
    duplicated: () => [...counts].filter(([, n]) => n > 1).map(([p]) => p),
    stop: async () => {
      running = false
      await loop
      await client.disconnect()
    },
  }
}
