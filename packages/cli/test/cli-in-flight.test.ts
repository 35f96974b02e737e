/**
 * `mqtt pub` at QoS 1/2 keeps at most 20 messages unacknowledged at once, as @x/robust does:
 * mosquitto on its default configuration (max_inflight_messages 20) drops QoS 2 messages beyond
 * that on MQTT 3.1.1 and still completes their exchange, so exit 0 would not mean delivered.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startCounter, type Counter } from '@x/test-support/counter.js'
import { startMosquitto, type Mosquitto } from '@x/test-support/mosquitto.js'
import { waitFor } from '@x/test-support/wait.js'
import { mqtt } from './support/in-process.js'

let mosquitto: Mosquitto
beforeAll(async () => {
  mosquitto = await startMosquitto()
})
afterAll(() => mosquitto?.stop())

const MESSAGES = 300

describe.each([1, 2] as const)('QoS %i against mosquitto on its default configuration', (qos) => {
  let counter: Counter
  afterAll(() => counter?.stop())

  test.each([
    ['-l with 300 lines', (topic: string) => ['-t', topic, '-l'], Array.from({ length: MESSAGES }, (_, i) => `m${i}`).join('\n') + '\n'],
    ['-m with --repeat 300', (topic: string) => ['-t', topic, '-m', 'x', '--repeat', String(MESSAGES)], ''],
  ])('%s: every message is delivered, then exit 0', async (name, args, input) => {
    const topic = `in-flight/${qos}/${name.startsWith('-l') ? 'lines' : 'repeat'}`
    await counter?.stop()
    counter = await startCounter(mosquitto.urls.plain, topic, qos, `counter-${qos}-${name.length}`)
    const at = ['-h', '127.0.0.1', '-p', String(mosquitto.ports.plain)]
    const result = await mqtt(['pub', ...at, ...args(topic), '-q', String(qos)], input).done
    expect(result).toMatchObject({ code: 0, stderr: '' })
    await waitFor(() => counter.received >= MESSAGES, `${MESSAGES} messages (got ${counter.received})`, 5000).catch(() => undefined)
    expect(counter.failure).toBeUndefined()
    expect(counter.received).toBe(MESSAGES)
  })
})
