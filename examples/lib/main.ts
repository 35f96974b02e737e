/**
 * Running an example as a program: `main(argv, print)` is what the tests call; run from the
 * command line, its errors become a readable message and a non-zero exit code.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isMqttError } from '@x/errno'
import { UsageError } from './args.js'

/** Where an example writes its output, one line at a time. */
export type Print = (line: string) => void

/** An example's entry point: parses `argv`, runs, resolves when done, throws on failure. */
export type Main = (argv: string[], print?: Print) => Promise<void>

/** Whether the module with this `import.meta.url` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1]
  if (!script) return false
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl))
  } catch {
    return false
  }
}

/** One line that says what failed: with the errno and code of an MqttError. */
export function explain(error: unknown): string {
  if (isMqttError(error)) return `${error.message} (errno ${error.errno}, ${error.code})`
  return error instanceof Error ? error.message : String(error)
}

/** Runs `main` with the process's arguments; exit code 2 for a usage mistake, 1 for a failure. */
export async function runMain(main: Main, usage: string): Promise<void> {
  try {
    await main(process.argv.slice(2))
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${usage}`)
      process.exitCode = 2
    } else {
      console.error(`FAILED: ${explain(error)}`)
      process.exitCode = 1
    }
  }
}
