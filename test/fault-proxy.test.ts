/**
 * The fault proxy itself, against plain TCP servers: the fault tests of both clients rely on
 * each mode doing exactly what it says (and on the counters being right).
 */
import net from 'node:net'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { sleep, waitFor } from './support/wait.js'

/** A TCP server that records what each connection sends, and can answer. */
interface Server {
  port: number
  sockets: net.Socket[]
  /** Everything received, per connection, as text. */
  received: string[]
  /** Connections whose peer sent FIN. */
  ended: Set<number>
  close(): Promise<void>
}

async function startServer(echo: boolean): Promise<Server> {
  const sockets: net.Socket[] = []
  const received: string[] = []
  const ended = new Set<number>()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const i = sockets.push(socket) - 1
    received[i] = ''
    socket.on('error', () => {})
    socket.on('data', (chunk: Buffer) => {
      received[i] += chunk.toString()
      if (echo) socket.write(chunk)
    })
    socket.on('end', () => {
      ended.add(i)
      socket.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    sockets,
    received,
    ended,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A client connection that records what it receives and how it ended. */
interface Client {
  socket: net.Socket
  text: () => string
  closed: () => boolean
  error: () => (Error & { code?: string }) | undefined
  ended: () => boolean
}

const opened: net.Socket[] = []

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    let text = ''
    let closed = false
    let ended = false
    let error: (Error & { code?: string }) | undefined
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    opened.push(socket)
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
    socket.on('end', () => (ended = true))
    socket.on('close', () => (closed = true))
    socket.on('error', (e) => {
      error = e
      reject(e)
    })
    socket.once('connect', () => resolve({ socket, text: () => text, closed: () => closed, error: () => error, ended: () => ended }))
  })
}

let echo: Server
let other: Server
let proxy: FaultProxy

beforeAll(async () => {
  echo = await startServer(true)
  other = await startServer(true)
})

afterEach(async () => {
  for (const socket of opened.splice(0)) socket.destroy()
  await proxy?.close()
})

afterAll(async () => {
  await echo?.close()
  await other?.close()
})

test('pass-through forwards both ways and counts connections and bytes', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  expect(proxy.url).toBe(`mqtt://127.0.0.1:${proxy.port}`)
  const a = await connect(proxy.port)
  a.socket.write('hello')
  await waitFor(() => a.text() === 'hello', 'the echo')
  const b = await connect(proxy.port)
  b.socket.write('xy')
  await waitFor(() => b.text() === 'xy', 'the second echo')
  expect(proxy.stats).toMatchObject({ connections: 2, active: 2, bytesToBroker: 7, bytesToClient: 7, targetFailures: 0 })
  // A FIN goes through as a FIN: the server sees the end and closes its side too.
  a.socket.end()
  await waitFor(() => a.closed(), 'the first connection to close')
  expect(a.error()).toBeUndefined()
  await waitFor(() => proxy.stats.active === 1, 'one connection left')
})

test('cut() resets both sides of every current connection, and new ones still work', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const before = echo.sockets.length
  const a = await connect(proxy.port)
  const b = await connect(proxy.port)
  a.socket.write('1')
  b.socket.write('2')
  await waitFor(() => a.text() === '1' && b.text() === '2', 'both echoes')
  expect(proxy.cut()).toBe(2)
  await waitFor(() => a.closed() && b.closed(), 'both clients to see the cut')
  expect(a.error()?.code).toBe('ECONNRESET')
  await waitFor(() => echo.sockets.slice(before).every((s) => s.destroyed), 'the server side to close')
  await waitFor(() => proxy.stats.active === 0, 'no connection left')
  const c = await connect(proxy.port)
  c.socket.write('3')
  await waitFor(() => c.text() === '3', 'an echo after the cut')
})

test('blackhole() holds everything both ways on open sockets; pass() delivers it in order', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const a = await connect(proxy.port)
  a.socket.write('a')
  await waitFor(() => a.text() === 'a', 'the echo')
  const server = echo.sockets.length - 1
  proxy.blackhole()
  expect(proxy.mode).toBe('blackhole')
  a.socket.write('b')
  a.socket.write('c')
  // The server answers on its own while the link is dead: that must not arrive either.
  echo.sockets[server]?.write('!')
  // A new connection is still accepted, and stays silent.
  const late = await connect(proxy.port)
  late.socket.write('late')
  await sleep(150)
  expect(echo.received[server]).toBe('a')
  expect(a.text()).toBe('a')
  expect(late.text()).toBe('')
  expect(a.closed() || late.closed()).toBe(false)
  const counted = proxy.stats.bytesToBroker
  proxy.pass()
  await waitFor(() => a.text() === 'a!bc', 'the held bytes, in order')
  await waitFor(() => late.text() === 'late', 'the new connection to work')
  expect(echo.received[server]).toBe('abc')
  expect(proxy.stats.bytesToBroker).toBe(counted + 6)
})

test('a close while black-holed crosses only when the link is back', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const a = await connect(proxy.port)
  a.socket.write('x')
  await waitFor(() => a.text() === 'x', 'the echo')
  const server = echo.sockets.length - 1
  proxy.blackhole()
  a.socket.end()
  await sleep(100)
  expect(echo.ended.has(server)).toBe(false)
  expect(echo.sockets[server]?.destroyed).toBe(false)
  proxy.pass()
  await waitFor(() => echo.ended.has(server), 'the FIN to reach the server')
  await waitFor(() => a.closed(), 'the client side to close')
})

test('delay(ms) slows each direction down, keeping the order', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const a = await connect(proxy.port)
  proxy.delay(100)
  expect(proxy.delayMs).toBe(100)
  const start = Date.now()
  a.socket.write('1')
  await sleep(10)
  a.socket.write('2')
  await waitFor(() => a.text() === '12', 'the delayed echo')
  // 100 ms to the server and 100 ms back.
  expect(Date.now() - start).toBeGreaterThanOrEqual(195)
  proxy.delay(0)
  const again = Date.now()
  a.socket.write('3')
  await waitFor(() => a.text() === '123', 'the echo without delay')
  expect(Date.now() - again).toBeLessThan(150)
  expect(() => proxy.delay(-1)).toThrow(RangeError)
})

test('refuse() makes new connections fail with ECONNREFUSED while current ones go on; accept() undoes it', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const a = await connect(proxy.port)
  await proxy.refuse()
  expect(proxy.accepting).toBe(false)
  await expect(connect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  a.socket.write('still')
  await waitFor(() => a.text() === 'still', 'the current connection to work')
  await proxy.accept()
  expect(proxy.accepting).toBe(true)
  const b = await connect(proxy.port)
  b.socket.write('back')
  await waitFor(() => b.text() === 'back', 'a connection after accept()')
  expect(proxy.stats.connections).toBe(2)
})

test('setTarget() sends new connections elsewhere; current ones keep their target', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const a = await connect(proxy.port)
  const otherBefore = other.sockets.length
  proxy.setTarget(other.port)
  const b = await connect(proxy.port)
  a.socket.write('to-echo')
  b.socket.write('to-other')
  await waitFor(() => a.text() === 'to-echo' && b.text() === 'to-other', 'both echoes')
  expect(other.sockets.length).toBe(otherBefore + 1)
  expect(other.received[otherBefore]).toBe('to-other')
})

test('a target that is down resets the client connection and is counted', async () => {
  const down = await startServer(false)
  const port = down.port
  await down.close()
  proxy = await startFaultProxy({ targetPort: port })
  const a = await connect(proxy.port)
  await waitFor(() => a.closed(), 'the client connection to be reset')
  expect(a.error()?.code).toBe('ECONNRESET')
  expect(proxy.stats.targetFailures).toBe(1)
})

test('close() releases every connection and the listener, and is idempotent', async () => {
  proxy = await startFaultProxy({ targetPort: echo.port })
  const a = await connect(proxy.port)
  proxy.blackhole()
  a.socket.write('held')
  await proxy.close()
  await waitFor(() => a.closed(), 'the client connection to close')
  await expect(connect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  await proxy.close()
})
