/**
 * A client over the in-memory transport that records what its callbacks see, so a test reads
 * as: do something, let the broker answer, check what the user was told.
 */
import { MqttClient, type ClientOptions } from '@x/simple'
import { MemoryBroker } from '@x/test-support/memory-transport.js'

export interface Received {
  topic: string
  payload: string
  retained: boolean
  dup: boolean
}

export function recordingClient(options: Partial<ClientOptions> = {}) {
  const broker = new MemoryBroker()
  const client = new MqttClient({ clientId: 'test', server: 'memory', transport: broker.transport, ...options })
  const messages: Received[] = []
  const statuses: Array<[pid: number, status: number]> = []
  client.setCallback((topic, payload, retained, dup) => messages.push({ topic, payload: new TextDecoder().decode(payload), retained, dup }))
  client.setCallbackStatus((pid, status) => statuses.push([pid, status]))
  return { broker, client, messages, statuses }
}

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
export async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw, got none')
}
