/**
 * `mqtt pub …` / `mqtt sub …`: mosquitto_pub and mosquitto_sub's everyday flags over @x/simple
 * (pub) and @x/robust (sub, which reconnects), with exit codes a shell script can act on (see
 * EXIT in exit-codes.ts, and --help).
 *
 *   mqtt sub -h test.mosquitto.org -t 'x-mqtt/demo/#' -v -C 1 -W 30
 *   mqtt pub -h test.mosquitto.org -t x-mqtt/demo/hello -m 'hi' -q 1
 */
import { failureOf, EXIT } from './exit-codes.js'
import { GENERAL, HELP } from './help.js'
import type { Io } from './io.js'
import { parseCommandLine } from './options.js'
import { pub } from './pub.js'
import { sub } from './sub.js'
import { versionText } from './version.js'

/** Ctrl-C before pub was done: the shell's convention, 128 + SIGINT. */
const INTERRUPTED = 130

/** Runs one command line; resolves the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === 'help') {
    io.stdout.write(GENERAL)
    return EXIT.OK
  }
  if (command === '--version') {
    io.stdout.write(versionText())
    return EXIT.OK
  }
  if (command !== 'pub' && command !== 'sub') {
    io.stderr.write(`${command === undefined ? 'mqtt: which command?' : `mqtt: unknown command ${JSON.stringify(command)}`}\n\n${GENERAL}`)
    return EXIT.USAGE
  }
  let where = ''
  try {
    const config = parseCommandLine(command, rest, io.cwd)
    if (config === 'help' || config === 'version') {
      io.stdout.write(config === 'help' ? HELP[command] : versionText())
      return EXIT.OK
    }
    where = config.where
    await (command === 'pub' ? pub : sub)(config, io)
    if (command === 'pub' && io.signal?.aborted) throw new Error('interrupted')
    return EXIT.OK
  } catch (error) {
    if (command === 'pub' && io.signal?.aborted) {
      io.stderr.write('mqtt pub: interrupted (Ctrl-C); what was not acknowledged may not have arrived\n')
      return INTERRUPTED
    }
    const failure = failureOf(error, where)
    io.stderr.write(`mqtt ${command}: ${failure.message}\n`)
    return failure.exitCode
  }
}

/** The `mqtt` program: the process's arguments and streams; Ctrl-C stops it cleanly. */
export async function main(): Promise<void> {
  const interrupted = new AbortController()
  const onSignal = (): void => interrupted.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  // A reader that went away (`mqtt --help | head -n 1`) is not a crash; sub also stops on it.
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error
  }
  process.stdout.on('error', onOutputError)
  // Run by `pnpm mqtt`, relative file names mean the folder pnpm was started in.
  const cwd = (process.env['npm_lifecycle_event'] === 'mqtt' && process.env['INIT_CWD']) || process.cwd()
  try {
    process.exitCode = await run(process.argv.slice(2), {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      cwd,
      signal: interrupted.signal,
    })
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
