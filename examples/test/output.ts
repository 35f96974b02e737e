/** Test helper: collect what an example prints, and wait for a line. */
export { closedPort } from '@x/test-support/ports.js'

export interface Output {
  print: (line: string) => void
  lines: string[]
  readonly text: string
  /** Resolves when a printed line matches; rejects after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<string>
}

export function collect(): Output {
  const lines: string[] = []
  const waiters = new Set<() => void>()
  return {
    lines,
    get text() {
      return lines.join('\n')
    },
    print: (line) => {
      lines.push(line)
      for (const wake of waiters) wake()
    },
    waitFor: (pattern, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const line = lines.find((l) => pattern.test(l))
          if (line === undefined) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(line)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no line matching ${pattern} within ${ms} ms; output:\n${lines.join('\n')}`))
        }, ms)
        waiters.add(check)
        check()
      }),
  }
}
