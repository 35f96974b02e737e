/**
 * disconnect() and connect({ signal }) end a connection that is still opening, at once, over real
 * sockets: a TCP connect that stalls (a listener whose backlog is full drops the SYN) and a TLS
 * handshake that stalls (a server that accepts and says nothing). No socket and no timer remain.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MqttClient, MqttError } from '@x/simple'

/** The client's handles of the kinds a connection leaves behind (the test servers' own sockets not counted). */
function handles(): { sockets: number; timers: number } {
  const all = process.getActiveResourcesInfo()
  const servers = accepted.filter((s) => !s.destroyed).length
  return {
    sockets: all.filter((t) => t === 'TCPSocketWrap' || t === 'TLSWrap').length - servers,
    timers: all.filter((t) => t === 'Timeout').length,
  }
}

/** Whether nothing is left that was not there before: no extra socket, no extra timer. */
function expectNoneLeft(after: { sockets: number; timers: number }, before: { sockets: number; timers: number }): void {
  expect(after.sockets, 'sockets left').toBe(before.sockets)
  expect(after.timers, 'timers left').toBeLessThanOrEqual(before.timers)
}

/** Waits a little (bounded) for closes under way to finish, then returns what is left. */
async function settledHandles(): Promise<{ sockets: number; timers: number }> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
  return handles()
}

let silent: net.Server
let silentPort = 0
const accepted: net.Socket[] = []
let backlog: ChildProcess
let backlogPort = 0
const filler: net.Socket[] = []

beforeAll(async () => {
  silent = net.createServer((socket) => {
    accepted.push(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  silentPort = (silent.address() as net.AddressInfo).port
  // A listener that never accepts, with a backlog of one: the first connection fills it, and the
  // kernel drops every later SYN, so their connect() hangs as on a dead network path.
  backlog = spawn('python3', [
    '-c',
    'import socket,sys,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()',
  ])
  backlogPort = await new Promise<number>((resolve, reject) => {
    backlog.once('error', reject)
    backlog.stdout?.once('data', (chunk: Buffer) => resolve(Number(String(chunk).trim())))
  })
  const first = net.connect(backlogPort, '127.0.0.1')
  first.on('error', () => {})
  filler.push(first)
  await new Promise((resolve) => first.once('connect', resolve))
})

afterAll(async () => {
  for (const socket of [...accepted, ...filler]) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
  backlog.stdin?.end()
  backlog.kill()
  await new Promise((resolve) => (backlog.exitCode === null ? backlog.once('exit', resolve) : resolve(undefined)))
})

/** Starts connect(), lets it hang for a moment, stops it with `stop`, and times the rejection. */
async function abandon(client: MqttClient, stop: () => void, options: Parameters<MqttClient['connect']>[0] = {}) {
  const before = handles()
  const connecting = client.connect(options)
  await new Promise((resolve) => setTimeout(resolve, 150))
  const during = handles()
  const started = Date.now()
  stop()
  const error = await connecting.then(
    () => undefined,
    (e: unknown) => e,
  )
  return { error, ms: Date.now() - started, before, during, after: await settledHandles() }
}

test('the TCP connect stalls: disconnect() rejects it with ECLOSED at once, and no socket or timer is left', async () => {
  const client = new MqttClient({ clientId: 'stall-tcp', server: `mqtt://127.0.0.1:${backlogPort}`, socketTimeoutMs: 10_000 })
  const { error, ms, before, during, after } = await abandon(client, () => void client.disconnect())
  expect(during.sockets).toBeGreaterThan(before.sockets) // it really was opening
  expect(error).toMatchObject({ code: 'ECLOSED', operation: 'connect' })
  expect(ms).toBeLessThan(100)
  expectNoneLeft(after, before)
  expect(client.isConnected).toBe(false)
})

test('the TLS handshake stalls: disconnect() rejects it with ECLOSED at once, and no socket or timer is left', async () => {
  const client = new MqttClient({ clientId: 'stall-tls', server: `mqtts://127.0.0.1:${silentPort}`, socketTimeoutMs: 10_000 })
  const { error, ms, before, after } = await abandon(client, () => void client.disconnect())
  expect(accepted.length).toBeGreaterThan(0) // the TCP part was done: the handshake is what hung
  expect(error).toMatchObject({ code: 'ECLOSED' })
  expect(ms).toBeLessThan(100)
  expectNoneLeft(after, before)
})

test("connect({ signal }) aborted mid-handshake rejects with the signal's reason at once, leaving nothing", async () => {
  const client = new MqttClient({ clientId: 'stall-signal', server: `mqtts://127.0.0.1:${silentPort}`, socketTimeoutMs: 10_000 })
  const controller = new AbortController()
  const reason = new MqttError('ECLOSED', 'shutting down')
  const { error, ms, before, after } = await abandon(client, () => controller.abort(reason), { signal: controller.signal })
  expect(error).toBe(reason)
  expect(ms).toBeLessThan(100)
  expectNoneLeft(after, before)
})

test('a second connect() supersedes one still opening: the first rejects with ECLOSED, its socket is released', async () => {
  const client = new MqttClient({ clientId: 'stall-twice', server: `mqtt://127.0.0.1:${backlogPort}`, socketTimeoutMs: 10_000 })
  const before = handles()
  const first = client.connect()
  await new Promise((resolve) => setTimeout(resolve, 100))
  const second = client.connect()
  await expect(first).rejects.toMatchObject({ code: 'ECLOSED' })
  await client.disconnect()
  await expect(second).rejects.toMatchObject({ code: 'ECLOSED' })
  expectNoneLeft(await settledHandles(), before)
})
