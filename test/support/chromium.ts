/**
 * Headless Chromium (Debian's `chromium`), driven over the DevTools protocol with the `ws`
 * package: open a page, evaluate JavaScript in it, wait for a condition. Enough for a test to
 * click a button and read the DOM; no puppeteer (it would download a browser of its own). The
 * browser gets a fresh profile and no network beyond what the page asks for (loopback here).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { findProgram } from '../../scripts/find-program.mjs'

interface Reply {
  id?: number
  result?: {
    result?: { value?: unknown; description?: string }
    exceptionDetails?: { text: string; exception?: { description?: string } }
  } & Record<string, unknown>
  error?: { message: string }
}

export interface Page {
  /** Evaluates `expression` in the page (awaiting a promise) and returns its value. */
  evaluate<T>(expression: string): Promise<T>
  /** Polls `expression` until it is truthy; fails after `timeoutMs` saying `what`. */
  waitFor(expression: string, what: string, timeoutMs?: number): Promise<void>
}

export interface Chromium {
  open(url: string): Promise<Page>
  close(): Promise<void>
}

/** The chromium binary, or `undefined` when it is not installed. */
export const chromiumPath = (): string | undefined => findProgram('chromium') ?? findProgram('chromium-browser')

export async function startChromium(): Promise<Chromium> {
  const binary = chromiumPath()
  if (!binary) throw new Error('chromium is not installed (scripts/ensure-test-programs.mjs installs it)')
  const profile = mkdtempSync(join(tmpdir(), 'x-mqtt-chromium-'))
  const child: ChildProcess = spawn(
    binary,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    // A process group of its own: chromium's helper processes (zygote, renderers) go with it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  )
  const endpoint = await new Promise<string>((resolve, reject) => {
    let said = ''
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 20 s:\n${said}`)), 20_000)
    child.stderr?.on('data', (chunk: Buffer) => {
      said += chunk.toString()
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(said)
      if (found) {
        clearTimeout(timer)
        resolve(found[1] as string)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`chromium exited with ${code}:\n${said}`))
    })
  })
  const socket = new WebSocket(endpoint, { perMessageDeflate: false })
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  let next = 0
  const waiting = new Map<number, (reply: Reply) => void>()
  socket.on('message', (data: Buffer) => {
    const reply = JSON.parse(data.toString()) as Reply
    if (reply.id !== undefined) waiting.get(reply.id)?.(reply)
  })
  const send = (method: string, params: object = {}, sessionId?: string): Promise<NonNullable<Reply['result']>> =>
    new Promise((resolve, reject) => {
      const id = ++next
      const timer = setTimeout(() => reject(new Error(`no answer to ${method} within 15 s`)), 15_000)
      waiting.set(id, (reply) => {
        clearTimeout(timer)
        waiting.delete(id)
        if (reply.error) reject(new Error(`${method}: ${reply.error.message}`))
        else resolve(reply.result ?? {})
      })
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }))
    })

  return {
    async open(url) {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string }
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string }
      await send('Page.enable', {}, sessionId)
      await send('Page.navigate', { url }, sessionId)
      const evaluate = async <T>(expression: string): Promise<T> => {
        const result = await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId)
        if (result.exceptionDetails) {
          throw new Error(`in the page: ${result.exceptionDetails.exception?.description ?? result.exceptionDetails.text}`)
        }
        return result.result?.value as T
      }
      return {
        evaluate,
        async waitFor(expression, what, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs
          for (;;) {
            if (await evaluate<boolean>(`Boolean(${expression})`).catch(() => false)) return
            if (Date.now() > deadline) {
              const text = await evaluate<string>('document.body?.innerText ?? ""').catch(() => '(no page)')
              throw new Error(`${what}: not within ${timeoutMs} ms; the page says:\n${text}`)
            }
            await new Promise((resolve) => setTimeout(resolve, 50))
          }
        },
      }
    },
    async close() {
      socket.close()
      const exited = new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)))
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {
        // gone already
      }
      await exited
      // A helper may still be writing its last file for a moment after the group is killed.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    },
  }
}
