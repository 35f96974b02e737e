/**
 * Heap per idle connected client: run in a child process of its own per library (node
 * --expose-gc), it connects CLIENTS clients as a program holds them (connected, default
 * options, nothing in flight), collects garbage, and prints the heap growth divided by the
 * number of clients, as JSON on stdout. The floor is a bare socket that has read its CONNACK.
 *
 *   node --expose-gc --import tsx heap/idle-clients.ts <library> <url>
 */
import net from 'node:net'
import { idleClients } from '../lib/bundle.js'

const CLIENTS = 1000
const [name, url] = process.argv.slice(2) as [string, string]

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

async function settle(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return process.memoryUsage().heapUsed
}

/** The floor: a bare socket that has sent CONNECT and read the CONNACK, and holds nothing else. */
async function bareSocket(url: string): Promise<() => Promise<void>> {
  const { hostname, port } = new URL(url)
  const socket = net.connect({ host: hostname, port: Number(port) })
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
  socket.write(Uint8Array.of(0x10, 12, 0, 4, 77, 81, 84, 84, 4, 2, 0, 0, 0, 0))
  await new Promise<void>((resolve) => socket.once('data', () => resolve()))
  return async () => {
    socket.destroy()
  }
}

const connect = name === 'bare socket' ? bareSocket : (await idleClients())[name]
if (!connect) throw new Error(`no library ${name}`)
const open: Array<() => Promise<void>> = []
const before = await settle()
for (let i = 0; i < CLIENTS; i++) open.push(await connect(url, `idle-${process.pid}-${i}`))
const after = await settle()
console.log(JSON.stringify({ name, clients: CLIENTS, bytesPerClient: (after - before) / CLIENTS }))
for (const close of open) await close()
