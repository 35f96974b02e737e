/**
 * The crash tests' publishers (durable-publisher.ts) as child processes through tsx: each has a
 * deadline (killed at it), `kill()` is SIGKILL, and the lines it prints can be awaited.
 */
import { fileURLToPath } from 'node:url'
import type { RestoredInfo } from '@x/robust'
import { start, type Finished, type Running } from './processes.js'
import type { PublisherConfig } from './durable-publisher.js'

// `--import tsx` is resolved from the working folder: the examples' package has tsx (the tests' has not).
const WITH_TSX = fileURLToPath(new URL('../../examples', import.meta.url))
const PROGRAM = fileURLToPath(new URL('./durable-publisher.ts', import.meta.url))

export interface Publisher {
  running: Running
  /** Resolves when it has printed `line` (a whole line, or a line's start); rejects if it exits or `ms` passes. */
  waitFor(line: string, ms?: number): Promise<void>
  /** What it printed with `restored`, once it has. */
  restored(): RestoredInfo | undefined
  /** SIGKILL, and wait until it has gone. */
  kill(): Promise<Finished>
  /** Sends SIGKILL now, without waiting (from a proxy's packet hook). */
  killNow(): void
  finished: Promise<Finished>
}

export function startPublisher(config: PublisherConfig, timeoutMs = 60_000): Publisher {
  const running = start(process.execPath, ['--import', 'tsx', PROGRAM, JSON.stringify(config)], { cwd: WITH_TSX, timeoutMs })
  const killNow = (): void => void running.child.kill('SIGKILL')
  return {
    running,
    waitFor: (line, ms = 20_000) => running.waitFor(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), ms),
    restored() {
      const line = /^restored (.*)$/m.exec(running.stdout)?.[1]
      return line === undefined ? undefined : (JSON.parse(line) as RestoredInfo)
    },
    killNow,
    async kill() {
      killNow()
      return running.finished
    },
    finished: running.finished,
  }
}
