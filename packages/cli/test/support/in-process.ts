/**
 * The mqtt command run in-process (run(), with streams the test owns): what it writes, its exit
 * code, and a way to wait for a line of its output.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { afterAll } from 'vitest'
import { run } from '../../src/main.js'

/** A stream that keeps what is written, and can wait for some text in it. */
export function capture(): {
  stream: Writable
  text: () => string
  bytes: () => Buffer
  waitFor: (text: string, ms?: number) => Promise<void>
} {
  const chunks: Buffer[] = []
  const waiters = new Set<() => void>()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk))
      for (const wake of waiters) wake()
      done()
    },
  })
  const text = (): string => Buffer.concat(chunks).toString('utf8')
  return {
    stream,
    text,
    bytes: () => Buffer.concat(chunks),
    waitFor: (wanted, ms = 5000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!text().includes(wanted)) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`"${wanted}" not written within ${ms} ms; got: ${text()}`))
        }, ms)
        waiters.add(check)
        check()
      }),
  }
}

/** The folder the commands run in (relative file names), removed after the test file. */
export const folder = mkdtempSync(join(tmpdir(), 'x-mqtt-cli-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))

/** Starts `mqtt argv…`; `done` resolves { code, stdout, stderr, bytes }. `signal` plays Ctrl-C. */
export function mqtt(argv: string[], stdin: string | Uint8Array = '', signal?: AbortSignal) {
  const stdout = capture()
  const stderr = capture()
  const io = { stdin: Readable.from([Buffer.from(stdin)]), stdout: stdout.stream, stderr: stderr.stream, cwd: folder }
  const done = run(argv, signal ? { ...io, signal } : io).then((code) => ({
    code,
    stdout: stdout.text(),
    stderr: stderr.text(),
    bytes: stdout.bytes(),
  }))
  return { done, stdout, stderr }
}

/** Starts `mqtt sub` at `at` (with -d, to know when it is subscribed) and waits until it is. */
export async function subscriber(at: string[], argv: string[], subscribed: string, signal?: AbortSignal) {
  const sub = mqtt(['sub', ...at, '-d', ...argv], '', signal)
  await sub.stderr.waitFor(`subscribed to ${subscribed}`)
  return sub
}
