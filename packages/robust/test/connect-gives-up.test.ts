/**
 * A first connect() that cannot succeed says why: against a real closed port (and a listener that
 * never answers) on loopback, with the real simple client underneath. A deadline on connect()
 * rejects with the signal's reason (contract §3), which now carries what the attempts met: the last
 * attempt's error as `cause`, and `attempts`. 'reconnecting' names the server.
 */
import net from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { isMqttError, type MqttError } from '@x/simple'
import { closedPort } from '@x/test-support/ports.js'
import { now, waitFor, withDeadline } from '@x/test-support/wait.js'
import { RobustClient, type ReconnectInfo } from '../src/index.js'

const open: RobustClient[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

function client(server: string, socketTimeoutMs = 5000): { client: RobustClient; reconnecting: ReconnectInfo[] } {
  const c = new RobustClient({
    clientId: 'gives-up',
    server,
    socketTimeoutMs,
    reconnect: { minDelayMs: 50, maxDelayMs: 100, jitter: false },
  })
  open.push(c)
  const reconnecting: ReconnectInfo[] = []
  c.on('reconnecting', (info) => reconnecting.push(info))
  return { client: c, reconnecting }
}

/** What connect() rejected with (it must reject, within its deadline and a margin). */
async function rejection(connecting: Promise<boolean>, deadlineMs: number): Promise<MqttError> {
  const outcome = await settledWithin(connecting, deadlineMs)
  if (!isMqttError(outcome)) throw new Error(`not an MqttError: ${String(outcome)}`, { cause: outcome })
  return outcome
}

async function settledWithin(connecting: Promise<boolean>, deadlineMs: number): Promise<unknown> {
  return withDeadline(
    connecting.then(
      () => new Error('connect() resolved'),
      (error: unknown) => error,
    ),
    deadlineMs + 1000,
    'connect() with a deadline',
  )
}

type GaveUp = Error & { attempts?: number }

describe('connect({ signal: AbortSignal.timeout() }) that cannot succeed', () => {
  test("on a closed port: the signal's TimeoutError, carrying the attempts and the last ECONNREFUSED (host:port) as cause", async () => {
    const port = await closedPort()
    const { client: c } = client(`mqtt://127.0.0.1:${port}`)
    const signal = AbortSignal.timeout(600)
    const started = now()
    const error = (await settledWithin(c.connect({ signal }), 600)) as GaveUp
    const took = now() - started
    expect(error).toBe(signal.reason)
    expect(error.name).toBe('TimeoutError')
    expect(error.attempts).toBeGreaterThanOrEqual(2)
    expect(isMqttError(error.cause) && error.cause.code).toBe('ECONNREFUSED')
    expect((error.cause as Error).message).toContain(`127.0.0.1:${port}`)
    expect(took).toBeGreaterThanOrEqual(590)
    expect(took).toBeLessThan(1200)
  })

  test('a listener that never answers: the attempt cut by the deadline counts, and there is no cause to give', async () => {
    const silent = net.createServer((socket) => socket.on('error', () => {}))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const sockets = new Set<net.Socket>()
    silent.on('connection', (socket) => sockets.add(socket))
    try {
      const { port } = silent.address() as net.AddressInfo
      const { client: c } = client(`mqtt://127.0.0.1:${port}`)
      const signal = AbortSignal.timeout(300)
      const error = (await settledWithin(c.connect({ signal }), 300)) as GaveUp
      expect(error).toBe(signal.reason)
      expect([error.name, error.attempts, error.cause]).toEqual(['TimeoutError', 1, undefined])
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  })

  test("'reconnecting' names the server the attempt failed to reach, without its password, and its error is an MqttError", async () => {
    const port = await closedPort()
    const { client: c, reconnecting } = client(`mqtt://pump:secret@127.0.0.1:${port}`)
    await settledWithin(c.connect({ signal: AbortSignal.timeout(300) }), 300)
    expect(reconnecting.length).toBeGreaterThanOrEqual(1)
    for (const info of reconnecting) {
      expect(info.server).toBe(`mqtt://pump:***@127.0.0.1:${port}`)
      expect([isMqttError(info.error), info.error.code]).toEqual([true, 'ECONNREFUSED'])
      expect(info.error.message).toContain(`127.0.0.1:${port}`)
    }
  })

  test('a signal that had already timed out: rejects with its reason as it is, and nothing is tried', async () => {
    const port = await closedPort()
    const { client: c, reconnecting } = client(`mqtt://127.0.0.1:${port}`)
    const signal = AbortSignal.timeout(0)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(signal.aborted).toBe(true)
    await expect(withDeadline(c.connect({ signal }), 1000, 'connect()')).rejects.toBe(signal.reason)
    expect(reconnecting).toEqual([])
  })

  test('close() while retrying still rejects with ECLOSED, not the timeout', async () => {
    const port = await closedPort()
    const { client: c, reconnecting } = client(`mqtt://127.0.0.1:${port}`)
    const connecting = c.connect({ signal: AbortSignal.timeout(5000) })
    await waitFor(() => reconnecting.length > 0, 'a second attempt')
    await c.close()
    expect((await rejection(connecting, 0)).code).toBe('ECLOSED')
  })
})
