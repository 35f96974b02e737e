/**
 * The command line of `mqtt pub` / `mqtt sub`, parsed with node:util's parseArgs into one checked
 * configuration, before anything connects. Every mistake is a CliError with exit code 2 (USAGE)
 * that says what was wrong, except a bad topic, which is 3 (TOPIC) and names the rule it breaks.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { printableUrl, qosOf, topicOf, type ClientOptions, type QoS } from '@x/simple'
import { CliError, EXIT, failureOf } from './exit-codes.js'
import { attachValues, FLAGS, letterOf, ONLY, spelled, takesNextWord, type Flag } from './flags.js'
import { printerOf, type Received } from './format.js'
import { propertiesOf, takePropertyWords, type PropertySets } from './properties-flag.js'
import { tlsOptionsOf, wantsTls } from './tls-config.js'
import { seconds, usage, whole } from './usage.js'
import { NEVER_EXPIRES, protocolVersionOf, sessionExpiryOf, type ProtocolVersion } from './version-flags.js'

export type Command = 'pub' | 'sub'

/** Where the message of `mqtt pub` comes from. */
export type Source = { kind: 'payload'; payload: Uint8Array } | { kind: 'lines' } | { kind: 'stdin' }

export interface Will {
  topic: string
  payload: Uint8Array
  qos: QoS
  retain: boolean
  /** -D will …: the will's properties (MQTT 5). */
  properties?: Record<string, unknown>
}

export interface Config {
  command: Command
  /** host:port, for messages. */
  where: string
  /** -V: 4 (MQTT 3.1.1) or 5; also in `client` when 5. */
  protocolVersion: ProtocolVersion
  client: ClientOptions & { clientId: string }
  /** -D publish / subscribe / disconnect …: the properties of those packets (MQTT 5). The CONNECT's are in `client`, the will's in `will`. */
  properties: Pick<PropertySets, 'publish' | 'subscribe' | 'disconnect'>
  /** -h a,b: the brokers of a cluster, tried in order (the first is `client.server`). */
  servers: string[]
  /** -c: false, the broker keeps the session. */
  cleanSession: boolean
  will: Will | undefined
  topics: string[]
  qos: QoS
  retain: boolean
  debug: boolean
  /** -C: stop after this many messages. */
  count: number | undefined
  /** -W, in milliseconds. */
  timeoutMs: number | undefined
  source: Source
  /** --repeat and --repeat-delay: how many times to publish the message, and the wait between. */
  repeat: { times: number; delayMs: number }
  /** -R: retained messages are not printed (nor counted). */
  skipRetained: boolean
  /** How sub prints a message (-v, -N, -F). */
  print: (m: Received) => Buffer
}

/** A URL as it may be printed: the password (from `user:` to the last `@`) as `***`. */
const printable = (url: string): string => JSON.stringify(printableUrl(url))

/**
 * What -L mqtt(s)://user:password@host:port/topic holds. `#` and `+` are kept in the topic. No host
 * has an `@`: the password runs to the last one (printableUrl masks it so), `%40` or not.
 */
function parseUrl(url: string): { tls: boolean; host: string; port?: number; user?: string; password?: string; topic?: string } {
  const m = /^(mqtts?):\/\/(?:([^:@/]*)(?::([^/]*))?@)?(\[[^\]/]+\]|[^:/@[\]]+)(?::(\d+))?(?:\/(.*))?$/s.exec(url)
  if (!m) throw usage(`-L ${printable(url)} is not mqtt(s)://[user[:password]@]host[:port]/topic`)
  const [, scheme, user, password, host, port, topic] = m
  if (port && !(+port >= 1 && +port <= 65535)) throw usage(`-L ${printable(url)}: the port ${port} is out of 1..65535`)
  const decode = (s: string, what: string): string => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw usage(`-L ${printable(url)}: a bad %-escape in the ${what}`)
    }
  }
  return {
    tls: scheme === 'mqtts',
    host: (host as string).replace(/^\[(.*)\]$/, '$1'),
    ...(port ? { port: Number(port) } : {}),
    ...(user ? { user: decode(user, 'user name') } : {}),
    ...(password !== undefined ? { password: decode(password, 'password') } : {}),
    ...(topic ? { topic: decode(topic, 'topic') } : {}),
  }
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/**
 * Parses the flags after `pub` / `sub`. Relative file names are taken from `cwd` (the folder
 * the user ran the command in).
 */
export function parseCommandLine(command: Command, argv: string[], cwd: string): Config | 'help' | 'version' {
  let values
  // -D takes two or three words, which parseArgs cannot: taken out first.
  const { rest, properties: propertyWords } = takePropertyWords(argv, takesNextWord)
  try {
    ;({ values } = parseArgs({ args: attachValues(rest), options: FLAGS, strict: true, allowPositionals: false }))
  } catch (error) {
    throw usage((error as Error).message)
  }
  if (values.help) return 'help'
  if (values.version) return 'version'
  const other: Command = command === 'pub' ? 'sub' : 'pub'
  for (const flag of ONLY[other]) {
    if (values[flag] !== undefined) throw usage(`${spelled(flag)} is for mqtt ${other}, not mqtt ${command}`)
  }
  const protocolVersion = protocolVersionOf(values['protocol-version'], propertyWords.length > 0)
  const properties = propertiesOf(command, propertyWords)
  const path = (file: string): string => (isAbsolute(file) ? file : resolve(cwd, file))
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(path(file))
    } catch (error) {
      throw usage(`cannot read ${flag} ${file}: ${(error as Error).message}`)
    }
  }

  const fromUrl = values.url === undefined ? undefined : parseUrl(values.url)
  // -h a,b (or -L mqtt://a,b/topic): the nodes of a cluster, tried in order, all on one port.
  const servers = (values.host ?? fromUrl?.host ?? 'localhost').split(',').map((h) => h.trim())
  if (servers.some((h) => !h)) throw usage(`-h ${JSON.stringify(values.host ?? fromUrl?.host)}: an empty host in the list`)
  const host = servers[0] as string
  const user = values.username ?? fromUrl?.user
  const password = values.pw ?? fromUrl?.password
  if (password !== undefined && user === undefined)
    throw usage('-P (password) needs -u (user name): MQTT 3.1.1 sends a password only with a user name')
  const useTls = fromUrl?.tls === true || wantsTls(values)
  const port = whole(values.port, '-p', 1, 65535) ?? fromUrl?.port ?? (useTls ? 8883 : 1883)
  const tls = useTls ? tlsOptionsOf(values, read, path) : undefined
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`

  const topics = values.topic ?? (fromUrl?.topic !== undefined ? [fromUrl.topic] : [])
  if (!topics.length) throw usage('a topic is needed: -t TOPIC (or -L URL with a topic)')
  if (command === 'pub' && topics.length > 1) throw usage('one topic only (-t): a message goes to one topic')
  const checkTopic = (t: string, filter: boolean, what: string): void => {
    try {
      // Checked here, before connecting: the message names the rule the topic breaks.
      topicOf(t, filter, what)
    } catch (error) {
      throw failureOf(error, where)
    }
    // Some versions of topicOf() leave the length to the encoder (ESTRTOLONG, shared with client
    // ids): checked here too, so that a long topic is always an invalid topic (3), before connecting.
    const bytes = Buffer.byteLength(t)
    if (bytes > 65_535)
      throw new CliError(EXIT.TOPIC, `invalid topic: it is ${bytes} bytes long; topics may have at most 65,535 [MQTT-4.7.3-3]`)
  }
  for (const t of topics) checkTopic(t, command === 'sub', command === 'pub' ? 'publish to' : 'subscribe to')

  const qosFlag = (value: string | undefined, flag: string, doing: string): QoS => {
    if (value === undefined) return 0
    try {
      return qosOf(/^\d$/.test(value) ? Number(value) : value, doing)
    } catch (error) {
      throw usage(`${flag}: ${(error as Error).message}`)
    }
  }
  const qos = qosFlag(values.qos, '-q', command === 'pub' ? 'publish' : 'subscribe')

  let will: Will | undefined
  const willTopic = values['will-topic']
  if (willTopic === undefined) {
    const stray = (['will-payload', 'will-qos', 'will-retain'] as const).find((f) => values[f] !== undefined)
    if (stray) throw usage(`--${stray} needs --will-topic: the last will is published to that topic`)
  } else {
    checkTopic(willTopic, false, 'publish the will to')
    will = {
      topic: willTopic,
      payload: utf8(values['will-payload'] ?? ''),
      qos: qosFlag(values['will-qos'], '--will-qos', 'publish the will'),
      retain: values['will-retain'] === true,
      ...(properties.will && { properties: properties.will }),
    }
  }
  if (properties.will && !will) throw usage('-D will … needs --will-topic: those are the properties of the last will')

  const clientId = values.id ?? `mqtt-${command}-${randomBytes(4).toString('hex')}`
  const cleanSession = values['disable-clean-session'] !== true
  if (!cleanSession && (values.id === undefined || values.id === '')) {
    throw usage('-c (a session the broker keeps) needs -i ID: the broker finds the session by its client id')
  }
  // -x, or on MQTT 5 -c's session that never expires (as mosquitto: -c means the broker keeps it).
  let sessionExpiryInterval = sessionExpiryOf(values['session-expiry-interval'], protocolVersion)
  if (sessionExpiryInterval !== undefined && properties.connect && 'sessionExpiryInterval' in properties.connect)
    throw usage('-x and -D connect session-expiry-interval set the same property: give one')
  if (sessionExpiryInterval === undefined && !cleanSession && protocolVersion === 5) sessionExpiryInterval = NEVER_EXPIRES
  if (sessionExpiryInterval === NEVER_EXPIRES && !values.id)
    throw usage('-x: a session that never expires needs -i ID: the broker finds the session by its client id')
  const connectProperties = {
    ...properties.connect,
    ...(sessionExpiryInterval !== undefined && { sessionExpiryInterval }),
  }

  let source: Source = { kind: 'payload', payload: new Uint8Array() }
  const repeatTimes = whole(values.repeat, '--repeat', 1, 1_000_000_000) ?? 1
  if (command === 'pub') {
    const sources: Flag[] = ['message', 'file', 'null-message', 'stdin-line', 'stdin-file']
    const given = sources.flatMap((f) => Array<string>((values[f] as unknown[] | undefined)?.length ?? 0).fill(`-${letterOf(f)}`))
    if (given.length !== 1) {
      const got = given.length === 2 && given[0] === given[1] ? `${given[0]} twice` : given.join(' and ')
      throw usage(
        given.length
          ? `only one message at a time (mosquitto_pub: "Only one type of message can be sent at once"): got ${got}`
          : 'one message source is needed: -m MESSAGE, -f FILE, -n (null message), -l (lines of stdin) or -s (all of stdin)',
      )
    }
    if (values.message) source = { kind: 'payload', payload: utf8(values.message[0] as string) }
    else if (values.file) source = { kind: 'payload', payload: read(values.file[0] as string, '-f') }
    else if (values['stdin-line']) source = { kind: 'lines' }
    else if (values['stdin-file']) source = { kind: 'stdin' }
    if (source.kind === 'lines' && values.repeat !== undefined) throw usage('--repeat needs one message (-m, -f, -n or -s), not -l')
  }

  const keepaliveSec = whole(values.keepalive, '-k', 0, 65535) ?? 60
  const timeoutMs = seconds(values.timeout, '-W', 2_000_000)
  if (timeoutMs === 0) throw usage('-W needs more than 0 seconds')
  return {
    command,
    where,
    servers,
    protocolVersion,
    client: {
      clientId,
      ...(protocolVersion === 5 && { protocolVersion }),
      ...(Object.keys(connectProperties).length && { properties: connectProperties }),
      server: host,
      port,
      keepaliveSec,
      ...(user !== undefined && { user }),
      ...(password !== undefined && { password }),
      ...(tls && { tls }),
      // -W bounds the wait for the connection (at most the usual 5 s)…
      socketTimeoutMs: Math.min(5000, timeoutMs ?? 5000),
      // …and for acknowledgements (pub); otherwise 10 s.
      messageTimeoutMs: timeoutMs ?? 10_000,
    },
    properties: {
      ...(properties.publish && { publish: properties.publish }),
      ...(properties.subscribe && { subscribe: properties.subscribe }),
      ...(properties.disconnect && { disconnect: properties.disconnect }),
    },
    cleanSession,
    will,
    topics,
    qos,
    retain: values.retain === true,
    debug: values.debug === true,
    count: whole(values.count, '-C', 1, 1_000_000_000),
    timeoutMs,
    source,
    repeat: { times: repeatTimes, delayMs: seconds(values['repeat-delay'], '--repeat-delay', 2_000_000) ?? 0 },
    skipRetained: values['no-retained'] === true,
    print: printerOf({ verbose: values.verbose === true, noEol: values['no-eol'] === true, format: values.format, clientId }),
  }
}
