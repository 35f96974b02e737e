/**
 * Child processes for the tests (mosquitto_pub, mosquitto_sub, the mqtt command): every one has
 * a deadline and is killed if it passes it, so no test waits for ever or leaves one behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'

export interface Finished {
  /** Exit code; null when killed by a signal. */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** The deadline passed and the process was killed. */
  killed: boolean
}

export interface Running {
  child: ChildProcess
  /** What it wrote so far. */
  readonly stdout: string
  readonly stderr: string
  /** Resolves when `pattern` appears on stdout or stderr; rejects if it exits or `ms` passes first. */
  waitFor(pattern: RegExp | string, ms?: number): Promise<void>
  /** Resolves when it has exited (killed at its deadline). */
  finished: Promise<Finished>
  /** Kills it (SIGTERM, then SIGKILL) and resolves when it has exited. */
  stop(): Promise<Finished>
}

/**
 * The environment of a user's shell: this process's, without what a package manager running the
 * tests put in it (`npm_config_*` and the like, which make a nested npx warn on stderr). For
 * commands a README tells the user to type.
 */
export function shellEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!/^(npm_|pnpm_)/i.test(name)) env[name] = value
  return env
}

export interface StartOptions {
  /** Kill it after this long. @default 15000 */
  timeoutMs?: number
  /** Written to its stdin, which is then closed. @default '' */
  input?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/** Starts `command args`; its output is collected. */
export function start(command: string, args: string[], options: StartOptions = {}): Running {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let killed = false
  const listeners = new Set<() => void>()
  const changed = (): void => {
    for (const listener of listeners) listener()
  }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), changed()))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), changed()))
  child.stdin?.on('error', () => {}) // it may exit before reading its input
  child.stdin?.end(options.input ?? '')

  let exited = false
  const finished = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject)
    // 'close': exited and its output streams are drained.
    child.once('close', (code, signal) => {
      exited = true
      clearTimeout(timer)
      clearTimeout(hardTimer)
      changed()
      resolve({ code, signal, stdout, stderr, killed })
    })
  })
  let hardTimer: ReturnType<typeof setTimeout> | undefined
  const kill = (): void => {
    if (exited) return
    child.kill('SIGTERM')
    hardTimer ??= setTimeout(() => child.kill('SIGKILL'), 2000)
  }
  const timer = setTimeout(() => {
    killed = true
    kill()
  }, options.timeoutMs ?? 15_000)

  return {
    child,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    finished,
    stop: () => {
      kill()
      return finished
    },
    waitFor: (pattern, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const seen = (): boolean => (typeof pattern === 'string' ? (stdout + stderr).includes(pattern) : pattern.test(stdout + stderr))
        let deadline: ReturnType<typeof setTimeout> | undefined
        const check = (): void => {
          if (!seen() && !exited) return
          listeners.delete(check)
          clearTimeout(deadline)
          if (seen()) resolve()
          else reject(new Error(`${command} exited before printing ${String(pattern)}; stdout: ${stdout}; stderr: ${stderr}`))
        }
        deadline = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`${command} did not print ${String(pattern)} within ${ms} ms; stdout: ${stdout}; stderr: ${stderr}`))
        }, ms)
        listeners.add(check)
        check()
      }),
  }
}

/** Runs `command args` to the end (or its deadline). */
export function run(command: string, args: string[], options: StartOptions = {}): Promise<Finished> {
  return start(command, args, options).finished
}

/** Whether a process with this id is still running (signal 0 tests without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
