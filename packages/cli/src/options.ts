/**
 * The command line of `mqtt pub` / `mqtt sub`: mosquitto_pub / mosquitto_sub's everyday flags,
 * parsed with node:util's parseArgs into one checked configuration. Every mistake is a CliError
 * with exit code 2 (USAGE), except a bad topic, which is 3 (TOPIC) and names the rule it breaks.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { qosOf, topicOf, type ClientOptions, type QoS, type TlsOptions } from '@x/simple'
import { CliError, EXIT, failureOf } from './exit-codes.js'

export type Command = 'pub' | 'sub'

const OPTIONS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  topic: { type: 'string', short: 't', multiple: true },
  message: { type: 'string', short: 'm' },
  qos: { type: 'string', short: 'q' },
  retain: { type: 'boolean', short: 'r' },
  id: { type: 'string', short: 'i' },
  username: { type: 'string', short: 'u' },
  pw: { type: 'string', short: 'P' },
  keepalive: { type: 'string', short: 'k' },
  verbose: { type: 'boolean', short: 'v' },
  count: { type: 'string', short: 'C' },
  timeout: { type: 'string', short: 'W' },
  'stdin-line': { type: 'boolean', short: 'l' },
  'stdin-file': { type: 'boolean', short: 's' },
  file: { type: 'string', short: 'f' },
  'null-message': { type: 'boolean', short: 'n' },
  url: { type: 'string', short: 'L' },
  cafile: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  debug: { type: 'boolean', short: 'd' },
  help: { type: 'boolean' },
} as const

type Flag = keyof typeof OPTIONS
const ONLY: Record<Command, Flag[]> = {
  pub: ['message', 'retain', 'stdin-line', 'stdin-file', 'file', 'null-message'],
  sub: ['verbose', 'count'],
}

/** Where the message of `mqtt pub` comes from. */
export type Source = { kind: 'payload'; payload: Uint8Array } | { kind: 'lines' } | { kind: 'stdin' }

export interface Config {
  command: Command
  /** host:port, for messages. */
  where: string
  client: ClientOptions
  topics: string[]
  qos: QoS
  retain: boolean
  verbose: boolean
  debug: boolean
  /** -C: stop after this many messages. */
  count: number | undefined
  /** -W, in milliseconds. */
  timeoutMs: number | undefined
  source: Source
}

/** What -L mqtt(s)://user:password@host:port/topic holds. `#` and `+` are kept in the topic. */
function parseUrl(url: string): { tls: boolean; host: string; port?: number; user?: string; password?: string; topic?: string } {
  const m = /^(mqtts?):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?(\[[^\]/]+\]|[^:/[\]]+)(?::(\d+))?(?:\/(.*))?$/s.exec(url)
  if (!m) throw usage(`-L ${JSON.stringify(url)} is not mqtt(s)://[user[:password]@]host[:port]/topic`)
  const [, scheme, user, password, host, port, topic] = m
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw usage(`-L ${JSON.stringify(url)}: bad %-escape in ${JSON.stringify(s)}`)
    }
  }
  return {
    tls: scheme === 'mqtts',
    host: (host as string).replace(/^\[(.*)\]$/, '$1'),
    ...(port ? { port: Number(port) } : {}),
    ...(user ? { user: decode(user) } : {}),
    ...(password !== undefined ? { password: decode(password) } : {}),
    ...(topic ? { topic: decode(topic) } : {}),
  }
}

const usage = (message: string): CliError => new CliError(EXIT.USAGE, `${message}\nSee mqtt --help.`)

function whole(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw usage(`${flag} needs a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`)
  }
  return Number(value)
}

/**
 * Parses the flags after `pub` / `sub`. Relative file names are taken from `cwd` (the folder
 * the user ran the command in).
 */
export function parseCommandLine(command: Command, argv: string[], cwd: string): Config | 'help' {
  let values
  try {
    ;({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }))
  } catch (error) {
    throw usage((error as Error).message)
  }
  if (values.help) return 'help'
  const other: Command = command === 'pub' ? 'sub' : 'pub'
  for (const flag of ONLY[other]) {
    const spec: { readonly type: string; readonly short?: string } = OPTIONS[flag]
    const short = spec.short ?? ''
    if (values[flag] !== undefined) throw usage(`-${short} (--${flag}) is for mqtt ${other}, not mqtt ${command}`)
  }
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(isAbsolute(file) ? file : resolve(cwd, file))
    } catch (error) {
      throw usage(`cannot read ${what} ${file}: ${(error as Error).message}`)
    }
  }

  const fromUrl = values.url === undefined ? undefined : parseUrl(values.url)
  const host = values.host ?? fromUrl?.host ?? 'localhost'
  const user = values.username ?? fromUrl?.user
  const password = values.pw ?? fromUrl?.password
  if (password !== undefined && user === undefined)
    throw usage('-P (password) needs -u (user name): MQTT 3.1.1 sends a password only with a user name')
  if ((values.cert === undefined) !== (values.key === undefined)) throw usage('--cert and --key go together')

  const useTls = fromUrl?.tls === true || values.cafile !== undefined || values.cert !== undefined || values.insecure === true
  const port = whole(values.port, '-p', 1, 65535) ?? fromUrl?.port ?? (useTls ? 8883 : 1883)
  let tls: TlsOptions | undefined
  if (useTls) {
    tls = {
      ...(values.cafile !== undefined && { ca: read(values.cafile, '--cafile') }),
      ...(values.cert !== undefined && { cert: read(values.cert, '--cert') }),
      ...(values.key !== undefined && { key: read(values.key, '--key') }),
      // As mosquitto's --insecure: the certificate chain is still checked, not the host name.
      ...(values.insecure && { checkServerIdentity: () => undefined }),
    }
  }

  const topics = values.topic ?? (fromUrl?.topic !== undefined ? [fromUrl.topic] : [])
  if (!topics.length) throw usage('a topic is needed: -t TOPIC (or -L URL with a topic)')
  if (command === 'pub' && topics.length > 1) throw usage('one topic only (-t): a message goes to one topic')
  try {
    // Checked here, before connecting: the message names the rule the topic breaks.
    for (const t of topics) topicOf(t, command === 'sub', command === 'pub' ? 'publish to' : 'subscribe to')
  } catch (error) {
    throw failureOf(error, `${host}:${port}`)
  }
  // Some versions of topicOf() leave the length to the encoder (ESTRTOLONG, shared with client
  // ids): checked here too, so that a long topic is always an invalid topic (3), before connecting.
  for (const t of topics) {
    const bytes = Buffer.byteLength(t)
    if (bytes > 65_535)
      throw new CliError(EXIT.TOPIC, `invalid topic: it is ${bytes} bytes long; topics may have at most 65,535 [MQTT-4.7.3-3]`)
  }

  let qos: QoS = 0
  if (values.qos !== undefined) {
    try {
      qos = qosOf(/^\d$/.test(values.qos) ? Number(values.qos) : values.qos, command === 'pub' ? 'publish' : 'subscribe')
    } catch (error) {
      throw usage((error as Error).message)
    }
  }

  let source: Source = { kind: 'payload', payload: new Uint8Array() }
  if (command === 'pub') {
    const given = (['message', 'file', 'null-message', 'stdin-line', 'stdin-file'] as const).filter((f) => values[f] !== undefined)
    if (given.length !== 1) {
      throw usage(
        `one message source is needed: -m MESSAGE, -f FILE, -n (null message), -l (lines of stdin) or -s (all of stdin)${given.length ? `; got ${given.map((f) => `--${f}`).join(', ')}` : ''}`,
      )
    }
    if (values.message !== undefined) source = { kind: 'payload', payload: new TextEncoder().encode(values.message) }
    else if (values.file !== undefined) source = { kind: 'payload', payload: read(values.file, '-f') }
    else if (values['stdin-line']) source = { kind: 'lines' }
    else source = { kind: 'stdin' }
  }

  const keepaliveSec = whole(values.keepalive, '-k', 0, 65535) ?? 60
  const timeoutSec = whole(values.timeout, '-W', 1, 2_000_000)
  const timeoutMs = timeoutSec === undefined ? undefined : timeoutSec * 1000
  return {
    command,
    where: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    client: {
      clientId: values.id ?? `mqtt-${command}-${randomBytes(4).toString('hex')}`,
      server: host,
      port,
      keepaliveSec,
      ...(user !== undefined && { user }),
      ...(password !== undefined && { password }),
      ...(tls && { tls }),
      // -W bounds the wait for acknowledgements too (pub); otherwise 10 s.
      messageTimeoutMs: timeoutMs ?? 10_000,
    },
    topics,
    qos,
    retain: values.retain === true,
    verbose: values.verbose === true,
    debug: values.debug === true,
    count: whole(values.count, '-C', 1, 1_000_000_000),
    timeoutMs,
    source,
  }
}
