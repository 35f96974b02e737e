/**
 * The fake is only worth what it shares with the real thing: the same script is played against
 * @x/simple's MqttClient (over its in-memory test transport) and against FakeSimpleClient, and
 * what RobustClient can observe (return values, callbacks in order, errors thrown, packets sent
 * again on a resumed session) must be the same.
 */
import { MqttClient, MqttError, isMqttError, type ServerPacket } from '@x/simple'
import { expect, test, vi } from 'vitest'
import type { SimpleClient } from '../src/index.js'
import { MemoryBroker } from '../../simple/test/support/memory-transport.js'
import { FakeSimpleClient } from './support/fake-simple-client.js'

/** How the broker side is driven, for either client. */
interface Side {
  client: SimpleClient
  /** Packets from the broker. */
  send(...packets: ServerPacket[]): void
  /** The link breaks with this error. */
  drop(error: MqttError): void
  /** The next CONNACK says this. */
  nextConnack(sessionPresent: boolean): void
  /** What the client wrote on its newest connection, as short strings (CONNECT left out). */
  writtenOnLast(): string[]
}

function realSide(): Side {
  const broker = new MemoryBroker()
  const client = new MqttClient({ clientId: 'parity', server: 'x', transport: broker.transport, messageTimeoutMs: 0 })
  return {
    client,
    send: (...packets) => {
      for (const p of packets) broker.last.send(p)
    },
    drop: (error) => broker.last.drop(error),
    nextConnack: (sessionPresent) => (broker.autoConnack = { sessionPresent, returnCode: 0 }),
    writtenOnLast: () =>
      broker.last.received
        .filter((p) => p.type !== 'connect')
        .map((p) => (p.type === 'publish' ? `publish ${p.pid} dup=${p.dup}` : 'pid' in p ? `${p.type} ${p.pid}` : p.type)),
  }
}

function fakeSide(): Side {
  const fake = new FakeSimpleClient({ clientId: 'parity', server: 'x', messageTimeoutMs: 0 })
  return {
    client: fake,
    send: (...packets) => fake.receive(...packets),
    drop: (error) => fake.drop(error),
    nextConnack: (sessionPresent) => fake.script({ sessionPresent }),
    writtenOnLast: () =>
      fake.wire
        .filter((w) => w.link === fake.connections)
        .map((w) => (w.type === 'publish' ? `publish ${w.pid} dup=${w.dup}` : 'pid' in w ? `${w.type} ${w.pid}` : w.type)),
  }
}

/** Plays the script and returns everything robust could observe. */
async function play(side: Side): Promise<string[]> {
  const trace: string[] = []
  const c = side.client
  const attempt = async (what: string, run: () => Promise<unknown>): Promise<void> => {
    try {
      trace.push(`${what} -> ${String(await run())}`)
    } catch (error) {
      trace.push(`${what} threw ${isMqttError(error) ? error.code : String(error)}`)
    }
  }
  c.setCallbackPacket((p) => trace.push(`packet ${p.type}${'pid' in p && p.pid !== undefined ? ` ${p.pid}` : ''}`))
  c.setCallback((topic, payload, retained, dup) => trace.push(`message ${topic} ${payload.length} retained=${retained} dup=${dup}`))
  c.setCallbackStatus((pid, status) => trace.push(`status ${pid} ${status}`))

  await attempt('waitMsg before connect', () => c.waitMsg(10))
  await attempt('connect', () => c.connect({ cleanSession: false }))
  trace.push(`isConnected ${c.isConnected}`)
  await attempt('publish q0', () => c.publish('t', 'zero'))
  await attempt('publish q1', () => c.publish('t', 'one', { qos: 1 }))
  await attempt('publish q2', () => c.publish('t', 'two', { qos: 2 }))
  await attempt('subscribe a', () => c.subscribe('a', { qos: 1 }))
  await attempt('subscribe b', () => c.subscribe('b'))
  await attempt('unsubscribe c', () => c.unsubscribe('c'))
  await attempt('publish bad topic', () => c.publish('a/#', 'x'))
  side.send(
    { type: 'puback', pid: 1 },
    { type: 'pubrec', pid: 2 },
    { type: 'suback', pid: 3, returnCodes: [1] },
    { type: 'suback', pid: 4, returnCodes: [0x80] },
    { type: 'puback', pid: 99 },
    { type: 'publish', topic: 'in', payload: new Uint8Array(3), qos: 1, retain: true, dup: false, pid: 7 },
  )
  await attempt('waitMsg', () => c.waitMsg(1000))
  await attempt('waitMsg with nothing to read', () => c.waitMsg(20))
  side.drop(new MqttError('ECONCLOSE', 'closed by the broker'))
  trace.push(`isConnected ${c.isConnected}`)
  await attempt('waitMsg after the drop', () => c.waitMsg(1000))
  await attempt('waitMsg again', () => c.waitMsg(1000))
  await attempt('publish while down', () => c.publish('t', 'x', { qos: 1 }))
  side.nextConnack(true)
  await attempt('connect with a session', () => c.connect({ cleanSession: false }))
  trace.push(`resent: ${side.writtenOnLast().join(', ')}`)
  side.send({ type: 'pubcomp', pid: 2 }, { type: 'unsuback', pid: 5 })
  await attempt('waitMsg', () => c.waitMsg(1000))
  await attempt('publish q1 left unacknowledged', () => c.publish('t', 'lost', { qos: 1 }))
  side.nextConnack(false)
  await attempt('connect without a session', () => c.connect({ cleanSession: false }))
  trace.push(`resent: ${side.writtenOnLast().join(', ')}`)
  await attempt('disconnect', () => c.disconnect())
  await attempt('waitMsg after disconnect', () => c.waitMsg(1000))
  return trace
}

test('the fake and the real simple client show robust the same behaviour', async () => {
  const real = await play(realSide())
  const fake = await play(fakeSide())
  expect(fake).toEqual(real)
  // The script did reach the interesting states (so the comparison means something).
  expect(real).toContain('status 4 3')
  expect(real).toContain('waitMsg after the drop threw ECONCLOSE')
  expect(real).toContain('waitMsg again threw ECONNOT')
  expect(real.filter((line) => line.startsWith('resent: '))).toEqual(['resent: pubrel 2, unsubscribe 5', 'resent: '])
})

test('the fake: waitMsg(timeout) resolves 0 on fake timers, clears its timer, and is woken by an arrival', async () => {
  vi.useFakeTimers()
  try {
    const fake = new FakeSimpleClient({ clientId: 'f', server: 'x' })
    await fake.connect()
    let done: number | undefined
    void fake.waitMsg(500).then((n) => (done = n))
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(499)
    expect(done).toBeUndefined()
    await vi.advanceTimersByTimeAsync(1)
    expect([done, vi.getTimerCount()]).toEqual([0, 0])
    const woken = fake.waitMsg(60_000)
    fake.message('t', 'x')
    expect(await woken).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
    const cut = fake.waitMsg(60_000)
    await fake.disconnect()
    await expect(cut).rejects.toMatchObject({ code: 'ECONNOT' })
    expect(vi.getTimerCount()).toBe(0)
  } finally {
    vi.useRealTimers()
  }
})
