/**
 * A fixture script (test/fixtures/*.ts) run as a process of its own through tsx, for what one
 * process cannot show: a lock held by another process, data surviving a SIGKILL. Every child has
 * a deadline and is killed at it, so no test waits for ever or leaves one behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const PACKAGE = fileURLToPath(new URL('../..', import.meta.url))

export interface Child {
  process: ChildProcess
  readonly stdout: string
  readonly stderr: string
  /** Resolves when `line` has appeared on stdout; rejects if the child exits or `ms` passes first. */
  waitFor(line: string, ms?: number): Promise<void>
  /** Resolves with how it ended once it has exited and its output is drained. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGKILL, and wait until it has gone. */
  kill(): Promise<void>
}

export function runFixture(name: string, args: string[], options: { timeoutMs?: number; uid?: number; gid?: number } = {}): Child {
  const spawnOptions: SpawnOptions = { cwd: PACKAGE, stdio: ['ignore', 'pipe', 'pipe'] }
  if (options.uid !== undefined) spawnOptions.uid = options.uid
  if (options.gid !== undefined) spawnOptions.gid = options.gid
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url)), ...args],
    spawnOptions,
  )
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  const changed = (): void => listeners.forEach((listener) => listener())
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), changed()))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), changed()))
  const deadline = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000)
  let gone = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      gone = true
      clearTimeout(deadline)
      changed()
      resolve({ code, signal })
    })
  })
  return {
    process: child,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    exited,
    waitFor(line, ms = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`no "${line}" from ${name} within ${ms} ms; stdout: ${stdout} stderr: ${stderr}`)),
          ms,
        )
        const check = (): void => {
          if (stdout.split('\n').includes(line)) done()
          else if (gone) done(new Error(`${name} exited before "${line}"; stdout: ${stdout} stderr: ${stderr}`))
        }
        const done = (error?: Error): void => {
          clearTimeout(timer)
          listeners.delete(check)
          if (error) reject(error)
          else resolve()
        }
        listeners.add(check)
        check()
      })
    },
    async kill() {
      if (!gone) child.kill('SIGKILL')
      await exited
    },
  }
}
