/**
 * Back-pressure holds for publishes made all at once, not only for a loop that awaits each one:
 * the publishes that find the socket full wait in line, and each drain lets through only what
 * the socket takes, in the order they were made. Against a scripted broker on loopback that
 * stops reading (so the kernel's buffers fill and the socket pushes back), over TCP and WebSocket.
 */
import { afterEach, describe, expect, test } from 'vitest'
import { MqttClient, defaultTransport, type Link, type Transport } from '@x/simple'
import { FakeBroker } from './support/fake-broker.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor, withDeadline } from './support/wait.js'

const KIB = 1024
const MIB = 1024 * KIB

/** The default transport, noting the most bytes its link ever held in the process (`Link.buffered`) after a write. */
function measured(): { transport: Transport; peak: () => number } {
  let peak = 0
  const transport: Transport = async (target, handlers, signal) => {
    const link = await defaultTransport(target, handlers, signal)
    const watched: Link = {
      write: (bytes) => {
        const ok = link.write(bytes)
        peak = Math.max(peak, link.buffered)
        return ok
      },
      drain: () => link.drain(),
      get buffered() {
        return link.buffered
      },
      pause: () => link.pause(),
      resume: () => link.resume(),
      end: () => link.end(),
      destroy: () => link.destroy(),
    }
    return watched
  }
  return { transport, peak: () => peak }
}

describe.each([
  ['TCP', false],
  ['WebSocket', true],
])('%s', (_name, websocket) => {
  const brokers: FakeBroker[] = []
  const clients: MqttClient[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => withDeadline(c.disconnect(), 5000, 'disconnect()')))
    for (const broker of brokers.splice(0)) await broker.close()
  })

  async function start(reads: boolean, socketTimeoutMs = 1000) {
    const broker = await FakeBroker.start({ websocket })
    brokers.push(broker)
    broker.onConnection = async (conn) => {
      await conn.next('connect')
      conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
      if (!reads) conn.pause()
    }
    const { transport, peak } = measured()
    const client = new MqttClient({ clientId: uid('flood'), server: broker.url, transport, socketTimeoutMs })
    clients.push(client)
    await client.connect()
    return { broker, client, peak }
  }

  test('20,000 publishes of 4 KiB made at once to a broker that reads nothing: the process holds a bounded few, and every one settles when the link fails', async () => {
    const { client, peak } = await start(false)
    const payload = new Uint8Array(4 * KIB)
    let resolved = 0
    let rejected = 0
    for (let i = 0; i < 20_000; i++) {
      client.publish('flood/t', payload).then(
        () => resolved++,
        () => rejected++,
      )
    }
    await sleep(500)
    // Was: all 20,000 resolved at once, with 78 MiB held by the socket in the process.
    expect(peak(), `bytes held by the link in the process (${resolved} publishes resolved)`).toBeLessThan(1 * MIB)
    expect(resolved * 4 * KIB, 'bytes handed over: what the kernel took and a little more').toBeLessThan(32 * MIB)
    // The socket takes nothing for socketTimeoutMs: the link fails, and with it every waiting publish.
    await waitFor(() => resolved + rejected === 20_000, `every publish to settle (${resolved} + ${rejected})`, 10_000)
    expect(rejected).toBeGreaterThan(0)
    expect(client.isConnected).toBe(false)
  })

  test('publishes made at once reach a broker that reads in the order they were made, QoS 0 and 1 mixed', async () => {
    const { broker, client } = await start(true)
    const n = 2000
    const sent: Array<Promise<number | undefined>> = []
    for (let i = 0; i < n; i++) {
      const payload = new Uint8Array(4 * KIB)
      new DataView(payload.buffer).setUint32(0, i)
      sent.push(client.publish('order/t', payload, { qos: i % 2 ? 1 : 0 }))
    }
    const pids = await withDeadline(Promise.all(sent), 10_000, 'every publish')
    const conn = await broker.connection()
    await waitFor(() => conn.received.filter((p) => p.type === 'publish').length === n, 'every publish at the broker', 10_000)
    const got = conn.received.flatMap((p) =>
      p.type === 'publish' ? [new DataView(p.payload.buffer, p.payload.byteOffset).getUint32(0)] : [],
    )
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i))
    // Packet ids too are taken in that order.
    const ids = pids.filter((pid) => pid !== undefined)
    expect(ids).toEqual(Array.from({ length: n / 2 }, (_, i) => i + 1))
  })
})
