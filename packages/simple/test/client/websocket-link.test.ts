/**
 * The WebSocket link as a browser runs it: a WebSocket with no pause(), no terminate() and no
 * drain event (Node 20 has no such WebSocket, so a scripted one stands in; the real `ws` one is
 * tested against real servers in test/websocket-transport.test.ts). And what a browser refuses:
 * TCP, and TLS options it cannot apply.
 */
import { expect, test } from 'vitest'
import type { MqttError } from '@x/errno'
import type { Link, LinkHandlers, Target } from '../../src/transport/link.js'
import { webSocketTransport, type WebSocketLike } from '../../src/transport/websocket.js'
import { runtimeWebSocket } from '../../src/transport/browser-websocket.js'
import { nodeTransport as noTcp } from '../../src/transport/no-tcp.js'

/** A WebSocket with only the WHATWG API, driven by the test. */
class ScriptedWebSocket implements WebSocketLike {
  binaryType = 'blob'
  bufferedAmount = 0
  readyState = 0
  onopen: WebSocketLike['onopen'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null
  onclose: WebSocketLike['onclose'] = null
  readonly frames: Uint8Array[] = []
  closedWith: number | undefined
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: Uint8Array): void {
    this.frames.push(data.slice())
    this.bufferedAmount += data.length
  }
  close(code?: number): void {
    this.closedWith = code
    this.readyState = 2
  }
  open(): void {
    this.readyState = 1
    this.onopen?.({})
  }
  message(data: unknown): void {
    this.onmessage?.({ data })
  }
  closed(code: number, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
}

const target: Target = { host: 'broker.example', port: 8080, tls: undefined, path: '/mqtt', timeoutMs: 1000 }

function harness() {
  let socket: ScriptedWebSocket | undefined
  const data: number[][] = []
  const closes: MqttError[] = []
  const handlers: LinkHandlers = { onData: (chunk) => data.push([...chunk]), onClose: (error) => closes.push(error) }
  const transport = webSocketTransport((url, protocols) => (socket = new ScriptedWebSocket(url, protocols)))
  const opening = transport(target, handlers)
  return { socket: () => socket as ScriptedWebSocket, data, closes, opening }
}

async function opened() {
  const h = harness()
  h.socket().open()
  const link: Link = await h.opening
  return { ...h, link }
}

test('the URL, the mqtt subprotocol and binary frames as ArrayBuffers', async () => {
  const { socket } = await opened()
  expect(socket().url).toBe('ws://broker.example:8080/mqtt')
  expect(socket().protocols).toEqual(['mqtt'])
  expect(socket().binaryType).toBe('arraybuffer')
})

test('what arrives while paused is held, and delivered in order on resume', async () => {
  const { socket, link, data } = await opened()
  socket().message(Uint8Array.of(1).buffer)
  link.pause()
  socket().message(Uint8Array.of(2).buffer)
  socket().message(Uint8Array.of(3).buffer)
  expect(data).toEqual([[1]])
  link.resume()
  expect(data).toEqual([[1], [2], [3]])
})

test('more than 32 MiB held unread closes the link with ECONCLOSE saying why, not unbounded memory', async () => {
  const { socket, link, closes } = await opened()
  link.pause()
  const chunk = new ArrayBuffer(1 << 20)
  for (let i = 0; i < 33 && !closes.length; i++) socket().message(chunk)
  expect(closes).toHaveLength(1)
  expect(closes[0]).toMatchObject({ code: 'ECONCLOSE', message: expect.stringContaining('call checkMsg() or waitMsg() more often') })
  expect(socket().closedWith).toBe(1000)
})

test('writes of one turn go out as one frame; write() says when to wait, drain() wakes once the buffer empties', async () => {
  const { socket, link } = await opened()
  expect(link.write(Uint8Array.of(0x30, 1))).toBe(true)
  expect(link.write(Uint8Array.of(0xc0, 0))).toBe(true)
  await Promise.resolve()
  expect(socket().frames.map((f) => [...f])).toEqual([[0x30, 1, 0xc0, 0]])
  socket().bufferedAmount = 100_000
  expect(link.write(new Uint8Array(10))).toBe(false)
  let drained = false
  const waiting = link.drain().then(() => (drained = true))
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(drained).toBe(false)
  socket().bufferedAmount = 0
  await waiting
  expect(link.buffered).toBe(0)
})

test('a WebSocket that writes at once (ws on a fast link: bufferedAmount stays 0) still makes a writer wait a round every 64 KiB', async () => {
  const { socket, link } = await opened()
  const frames = socket().frames
  socket().send = (data) => void frames.push(data) // taken at once: nothing buffered
  let writable = true
  let writes = 0
  while (writable && writes < 1000) {
    writable = link.write(new Uint8Array(1000))
    writes++
    await Promise.resolve() // a microtask, not a round of I/O: the frames go out, the round goes on
  }
  expect(writable).toBe(false)
  expect(writes).toBe(66) // 66,000 bytes: the first write past 64 KiB
  let drained = false
  const waiting = link.drain().then(() => (drained = true))
  await Promise.resolve()
  expect(drained).toBe(false)
  await new Promise((resolve) => setImmediate(resolve)) // the round of I/O: the writer goes on
  await waiting
  expect(link.buffered).toBe(0)
  expect(link.write(new Uint8Array(1000))).toBe(true)
})

test('a text frame is EMALFORMED [MQTT-6.0.0-1], reported once; the close that follows is not news', async () => {
  const { socket, closes } = await opened()
  socket().message('hello')
  socket().closed(1002)
  expect(closes).toHaveLength(1)
  expect(closes[0]).toMatchObject({ code: 'EMALFORMED', message: expect.stringContaining('[MQTT-6.0.0-1]') })
  expect(socket().closedWith).toBe(1002)
})

test('closed before it opened: ENOCON with the close code; closed by the broker later: ECONCLOSE', async () => {
  const early = harness()
  early.socket().closed(1006)
  await expect(early.opening).rejects.toMatchObject({
    code: 'ENOCON',
    message: 'Cannot connect to ws://broker.example:8080/mqtt: the WebSocket did not open (WebSocket close code 1006)',
  })
  const { socket, closes } = await opened()
  socket().closed(1001, 'going away')
  expect(closes[0]).toMatchObject({
    code: 'ECONCLOSE',
    message: 'Connection to ws://broker.example:8080/mqtt: closed by the broker (WebSocket close code 1001 "going away")',
  })
})

test('no open within the deadline: ESOCKETTIMEOUT; a close asked for is not reported', async () => {
  const h = harness()
  await expect(h.opening).rejects.toMatchObject({ code: 'ESOCKETTIMEOUT' })
  expect(h.socket().closedWith).toBe(1000)
  const { socket, link, closes } = await opened()
  const ending = link.end()
  socket().closed(1000)
  await ending
  expect(closes).toEqual([])
})

test('in a browser: TLS options are refused with the reason, and TCP says to use ws:// or wss://', async () => {
  const handlers: LinkHandlers = { onData: () => {}, onClose: () => {} }
  await expect(runtimeWebSocket({ ...target, tls: { ca: 'PEM' } }, handlers)).rejects.toMatchObject({
    code: 'EOPTION',
    message: expect.stringContaining('a browser checks certificates itself'),
  })
  await expect(noTcp({ ...target, path: undefined }, handlers)).rejects.toMatchObject({
    code: 'EOPTION',
    message: expect.stringContaining('a browser cannot open TCP connections'),
  })
})
