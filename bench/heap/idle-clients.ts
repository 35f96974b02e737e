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
import { settle } from './settle.js'

const CLIENTS = 1000
const [name, url] = process.argv.slice(2) as [string, string]

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
const before = (await settle()).heapUsed
for (let i = 0; i < CLIENTS; i++) open.push(await connect(url, `idle-${process.pid}-${i}`))
const after = (await settle()).heapUsed
console.log(JSON.stringify({ name, clients: CLIENTS, bytesPerClient: (after - before) / CLIENTS }))
for (const close of open) await close()
