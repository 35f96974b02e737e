/**
 * The broker for the WebSocket rows: aedes over `ws` in a child process (mosquitto's websockets
 * listener does not start on these machines). The same broker for every library.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { BenchBroker } from './broker.js'

export async function startWebSocketBroker(): Promise<BenchBroker> {
  const script = fileURLToPath(new URL('./ws-broker-process.ts', import.meta.url))
  // From bench/, where tsx is installed, whatever the caller's directory.
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd, stdio: ['pipe', 'pipe', 'inherit'] })
  let timer: ReturnType<typeof setTimeout> | undefined
  const [url] = (await Promise.race([
    once(createInterface({ input: child.stdout }), 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`the WebSocket broker exited (${String(code)}) before it listened`))),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error('the WebSocket broker did not say where it listens within 20 s'))
      }, 20_000)
    }),
  ]).finally(() => clearTimeout(timer))) as [string]
  return {
    name: 'aedes over ws (own process)',
    url,
    stop: async () => {
      const exited = once(child, 'exit')
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}
