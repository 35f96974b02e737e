/**
 * Builds RobustClients over the real simple client and a ScriptedBroker, records their events, and
 * closes every one of them after each test (the setup file fails a test file that leaves a timer
 * behind).
 */
import { afterEach, vi } from 'vitest'
import { RobustClient, type RobustEvents, type RobustOptions } from '../../src/index.js'
import { ScriptedBroker } from './scripted-broker.js'
import { withDeadline } from '@x/test-support/wait.js'

export type EventName = keyof RobustEvents

/** One event as emitted: its name and arguments. */
export type Recorded = { [K in EventName]: { name: K; args: RobustEvents[K] } }[EventName]

export interface Harness {
  client: RobustClient
  broker: ScriptedBroker
  /** Every event of the client, in order. */
  events: Recorded[]
}

const EVENTS: EventName[] = ['connect', 'disconnect', 'reconnecting', 'message', 'drop', 'error']
const open = new Set<RobustClient>()

/** A RobustClient over a fresh broker; options default to a client id, a server, and 10 ms backoff without jitter where every connection counts as stable. */
export function robust(options: Partial<RobustOptions> = {}): Harness {
  const broker = new ScriptedBroker()
  const client = new RobustClient({
    clientId: 'dev-1',
    server: 'mqtt://broker.invalid',
    ...options,
    reconnect: { stableAfterMs: 0, ...(options.reconnect ?? { minDelayMs: 10, maxDelayMs: 40, jitter: false }) },
    createClient: broker.createClient,
  })
  open.add(client)
  const events: Recorded[] = []
  for (const name of EVENTS) {
    client.on(name, (...args: unknown[]) => {
      events.push({ name, args } as Recorded)
    })
  }
  return { client, broker, events }
}

/** The names of the recorded events, in order. */
export const names = (events: Recorded[]): EventName[] => events.map((e) => e.name)

/** The arguments of the recorded events of one kind. */
export function argsOf<K extends EventName>(events: Recorded[], name: K): Array<RobustEvents[K]> {
  return events.filter((e): e is Extract<Recorded, { name: K }> => e.name === name).map((e) => e.args as RobustEvents[K])
}

/** Closes every client made by `robust()` and puts real timers back; registered in each test file that imports this one. */
export async function closeAll(): Promise<void> {
  const clients = [...open]
  open.clear()
  try {
    await withDeadline(Promise.all(clients.map((c) => c.close())), 2000, 'close() of every client')
  } finally {
    vi.useRealTimers()
  }
}

afterEach(closeAll)
