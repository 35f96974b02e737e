/**
 * `mqtt pub -l` that gives up (the broker gone) exits at once with its code, though its stdin is
 * still open (`tail -f log | mqtt pub -l`): it stops reading stdin and keeps no handle.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../examples/lib/embedded-broker.js'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/mqtt.js', import.meta.url))

let broker: EmbeddedBroker | undefined
beforeEach(async () => {
  broker = await startEmbeddedBroker()
})
afterEach(() => broker?.close())

/** `mqtt pub -l …` in a child process whose stdin the test holds open; killed at `deadlineMs`. */
function pubLines(args: string[], deadlineMs: number) {
  const child = spawn(process.execPath, [BIN, 'pub', ...args, '-l', '-d'], { cwd: PACKAGE, stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdout.resume()
  child.stdin.on('error', () => {}) // it may exit before reading
  const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs)
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(killer)
      resolve({ code, at: performance.now() })
    }),
  )
  const printed = async (text: string, ms = 10_000): Promise<void> => {
    const until = performance.now() + ms
    while (!stderr.includes(text) && child.exitCode === null && performance.now() < until) await new Promise((r) => setTimeout(r, 20))
    if (!stderr.includes(text)) throw new Error(`"${text}" not printed; stderr: ${stderr}`)
  }
  return { child, exited, printed, stderr: () => stderr }
}

/** One line published and acknowledged, then the broker gone and the loss printed; stdin stays open. */
async function brokerGoneAfterOneLine(pub: ReturnType<typeof pubLines>): Promise<void> {
  pub.child.stdin.write('one\n')
  await pub.printed('received PUBACK')
  await broker!.close()
  broker = undefined
  await pub.printed('connection lost')
}

test('a line published after the broker went away: the error, then exit 1 at once, stdin still open', async () => {
  const pub = pubLines(['-h', '127.0.0.1', '-p', String(broker!.port), '-t', 'gone/lines', '-q', '1'], 20_000)
  try {
    await brokerGoneAfterOneLine(pub)
    pub.child.stdin.write('two\n')
    const wrote = performance.now()
    const { code, at } = await pub.exited
    expect(pub.stderr()).toMatch(/mqtt pub: /)
    expect(code).toBe(1)
    expect(at - wrote).toBeLessThan(2000)
  } finally {
    pub.child.kill('SIGKILL')
    pub.child.stdin.destroy()
  }
})

test('the broker gone while stdin is quiet (`tail -f log |`): the error, then exit 1 at once, no line needed', async () => {
  const pub = pubLines(['-h', '127.0.0.1', '-p', String(broker!.port), '-t', 'gone/quiet', '-q', '1'], 20_000)
  try {
    await brokerGoneAfterOneLine(pub)
    const lost = performance.now()
    const { code, at } = await pub.exited
    expect(pub.stderr()).toMatch(/mqtt pub: Connection to 127\.0\.0\.1:\d+: closed by the broker \[ECONCLOSE, errno \d+\]/)
    expect(code).toBe(1)
    expect(at - lost).toBeLessThan(2000)
  } finally {
    pub.child.kill('SIGKILL')
    pub.child.stdin.destroy()
  }
})
