/**
 * `mqtt pub …` / `mqtt sub …`: mosquitto_pub and mosquitto_sub's everyday flags over @x/simple,
 * with exit codes a shell script can act on (see EXIT in exit-codes.ts, and --help).
 *
 *   pnpm -s mqtt sub -h test.mosquitto.org -t 'x-mqtt/demo/#' -v -C 1 -W 30
 *   pnpm -s mqtt pub -h test.mosquitto.org -t x-mqtt/demo/hello -m 'hi' -q 1
 */
import { failureOf, EXIT } from './exit-codes.js'
import type { Io } from './io.js'
import { parseCommandLine } from './options.js'
import { pub } from './pub.js'
import { sub } from './sub.js'

const COMMON = `Connection:
  -h, --host HOST        broker host (default localhost)
  -p, --port PORT        broker port (default 1883, or 8883 with TLS)
  -L, --url URL          mqtt(s)://[user[:password]@]host[:port]/topic, instead of -h -p -u -P -t
  -i, --id ID            client id (default mqtt-pub-<random> / mqtt-sub-<random>)
  -u, --username USER    user name
  -P, --pw PASSWORD      password (needs -u)
  -k, --keepalive SEC    keepalive in seconds (default 60; 0 = off)
  -q, --qos 0|1|2        QoS (default 0)
  -W, --timeout SEC      give up after SEC seconds (sub: counted from the connection; pub: wait for acknowledgements)
  -d, --debug            say what happens, on stderr
TLS (any of these turns TLS on):
  --cafile FILE          trust the CA certificate in FILE (PEM), instead of the system's CAs
  --cert FILE --key FILE client certificate and its key (PEM)
  --insecure             do not check that the certificate names the host (the chain is still checked)
  --help                 this text`

const EXIT_CODES = `Exit codes:
  0   done
  1   the connection failed after it was up, or the broker broke the protocol
  2   bad command line (unknown flag, missing value, bad number, unreadable file)
  3   invalid topic (pub) or topic filter (sub); the message says which rule it breaks
  4   broker unreachable: unknown host, nothing listening, no answer in time
  5   not allowed: bad user name or password, not authorized, subscription refused
  6   TLS failed: handshake, or the broker's certificate was not accepted
  7   connection refused for another reason (protocol version, client id)
  27  timed out (-W): too few messages (sub), no acknowledgement (pub)`

const HELP = {
  pub: `Usage: mqtt pub -t TOPIC (-m MESSAGE | -f FILE | -n | -l | -s) [options]
Publishes one message, or one per line of stdin (-l), then disconnects.
  -t, --topic TOPIC      topic to publish to
  -m, --message TEXT     the message
  -f, --file FILE        the message is the content of FILE
  -n, --null-message     an empty message (with -r: clears the retained message)
  -l, --stdin-line       one message per line of stdin, until it ends
  -s, --stdin-file       the message is all of stdin
  -r, --retain           the broker keeps the message for later subscribers
${COMMON}
${EXIT_CODES}
`,
  sub: `Usage: mqtt sub -t FILTER [-t FILTER …] [options]
Prints each message received (its payload, one per line; with -v the topic first).
  -t, --topic FILTER     topic filter to subscribe to (+ one level, # the rest); repeat for more
  -v, --verbose          print "topic payload"
  -C, --count N          exit after N messages
${COMMON}
${EXIT_CODES}
`,
}

const GENERAL = `Usage: mqtt pub [options]   publish (like mosquitto_pub)
       mqtt sub [options]   subscribe and print (like mosquitto_sub)
       mqtt pub --help, mqtt sub --help
From the repository root: pnpm -s mqtt pub … (-s keeps pnpm's own lines out of the output).

${EXIT_CODES}
`

/** Runs one command line; resolves the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === 'help') {
    io.stdout.write(GENERAL)
    return EXIT.OK
  }
  if (command !== 'pub' && command !== 'sub') {
    io.stderr.write(`${command === undefined ? 'mqtt: which command?' : `mqtt: unknown command ${JSON.stringify(command)}`}\n\n${GENERAL}`)
    return EXIT.USAGE
  }
  let where = ''
  try {
    const config = parseCommandLine(command, rest, io.cwd)
    if (config === 'help') {
      io.stdout.write(HELP[command])
      return EXIT.OK
    }
    where = config.where
    await (command === 'pub' ? pub : sub)(config, io)
    return EXIT.OK
  } catch (error) {
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
