/**
 * A mosquitto daemon for one test file, on free loopback ports, with a configuration generated
 * in a temporary folder. Five listeners, each with its own settings (`per_listener_settings true`):
 *
 * | listener        | what                                                              | URL                      |
 * | --------------- | ----------------------------------------------------------------- | ------------------------ |
 * | `plain`         | TCP, anonymous                                                    | `mqtt://127.0.0.1:p`     |
 * | `tls`           | TLS, server certificate for localhost/127.0.0.1/::1, anonymous    | `mqtts://localhost:p`    |
 * | `tlsClientCert` | TLS, a client certificate signed by the CA is required            | `mqtts://localhost:p`    |
 * | `password`      | TCP, user name and password required (`allow_anonymous false`)    | `mqtt://127.0.0.1:p`     |
 * | `tlsOtherHost`  | TLS, certificate issued for `other.invalid` only (name mismatch)  | `mqtts://localhost:p`    |
 *
 * ```ts
 * const mosquitto = await startMosquitto()
 * const client = new MqttClient({ clientId: 'c', server: mosquitto.urls.plain })
 * const secure = new MqttClient({ clientId: 's', server: mosquitto.urls.tls, tls: { ca: mosquitto.certs.ca } })
 * await mosquitto.stop() // in afterAll
 * ```
 *
 * - `startMosquitto({ certs?, users?, persistence?, settings?, verbose?, startTimeoutMs? })`: `certs` defaults to a
 *   fresh `makeCerts()` (removed by `stop()`); `users` defaults to `DEFAULT_USERS`;
 *   `persistence: true` keeps sessions and retained messages across `restart()` (a file in the
 *   temporary folder, written when the daemon stops); `settings` adds configuration lines for a
 *   test about a setting (otherwise every setting is mosquitto's default); `acl` is the text of
 *   an ACL file for the `plain` listener, for a test about access control; `verbose` logs every
 *   packet, for `waitForLog()`.
 * - The result: `host` ('127.0.0.1'), `ports` and `urls` by listener, `certs`, `users`, `dir`,
 *   `configFile`, `pid`, `log()` (the daemon's recent output, for failure messages), `waitForLog()`,
 *   `restart({ users? })` (stop and start again on the same ports, e.g. to test reconnecting; with
 *   `users`, the `password` listener accepts those instead, e.g. a token that changed) and `stop()`
 *   (SIGTERM, then SIGKILL after a deadline; waits for the exit; removes the folder). `stop()` is
 *   idempotent.
 *
 * Ports: each is found by binding port 0, then released and written into the configuration; if
 * another process takes one in between, mosquitto exits with "Address already in use" and the
 * start is retried with new ports (bounded). Ready means every port accepts a TCP connection.
 *
 * Running as root, mosquitto drops to the `mosquitto` user before it reads key and password
 * files; `user root` in the configuration keeps it as the user that started it, so the files in
 * the private temporary folder stay readable (as a non-root user the setting has no effect).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findProgram } from '../../scripts/find-program.mjs'
import { makeCerts, type Certs } from '../../examples/lib/certs.js'
import { waitFor } from './wait.js'

export type ListenerName = 'plain' | 'tls' | 'tlsClientCert' | 'password' | 'tlsOtherHost'

export const LISTENERS: readonly ListenerName[] = ['plain', 'tls', 'tlsClientCert', 'password', 'tlsOtherHost']

/** The users of the `password` listener unless others are given. */
export const DEFAULT_USERS: Readonly<Record<string, string>> = { alice: 'wonderland' }

/** The only name in the `tlsOtherHost` listener's certificate. */
export const OTHER_HOST = 'other.invalid'

export interface MosquittoOptions {
  /** Certificates to serve; made (and removed on stop) when not given. */
  certs?: Certs
  /** User → password for the `password` listener. @default DEFAULT_USERS */
  users?: Record<string, string>
  /** Keep sessions and retained messages across `restart()`. @default false */
  persistence?: boolean
  /** How long the daemon may take to accept connections on every port. @default 5000 */
  startTimeoutMs?: number
  /** Configuration lines beyond the defaults, for a test about a setting. @default none */
  settings?: readonly string[]
  /**
   * The text of an ACL file (mosquitto's `acl_file` format) for the `plain` listener, for a test
   * about access control: lines before any `user` apply to anonymous clients. @default none
   */
  acl?: string
  /**
   * The configuration (JSON, as `mosquitto_ctrl dynsec init` writes it) of mosquitto's dynamic
   * security plugin for the `plain` listener, for a test about access control that an ACL file
   * cannot express: mosquitto 2.0.11's ACL file never refuses a SUBSCRIBE. @default none
   */
  dynamicSecurity?: object
  /** Log every packet in and out (`log_type all`), for `waitForLog()`. @default false */
  verbose?: boolean
}

export interface Mosquitto {
  host: '127.0.0.1'
  ports: Record<ListenerName, number>
  urls: Record<ListenerName, string>
  certs: Certs
  users: Record<string, string>
  /** The temporary folder with the configuration, password file and log. */
  dir: string
  configFile: string
  /** The daemon's process id (changes on restart). */
  readonly pid: number
  /** The daemon's recent output (stderr), for failure messages. */
  log(): string
  /**
   * Resolves when the log shows `text`, e.g. \`Sending SUBACK to ${clientId}\` with `verbose`: how
   * a test knows that mosquitto_sub has subscribed (its own output is block-buffered in a pipe).
   */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>
  /**
   * Stops the daemon and starts it again with the same configuration and ports; with `users`, the
   * password file is written anew with them in between (`users` then lists them).
   */
  restart(options?: { users?: Record<string, string> }): Promise<void>
  /** Kills the daemon, waits for it to exit, removes the temporary folder. Idempotent. */
  stop(): Promise<void>
}

const HOST = '127.0.0.1'
// Debian's mosquitto package ships it.
const DYNAMIC_SECURITY = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so'
const START_ATTEMPTS = 5
const STOP_GRACE_MS = 3000
const LOG_LIMIT = 64 * 1024
export { findProgram }

function programOrThrow(name: string): string {
  const file = findProgram(name)
  if (!file)
    throw new Error(`${name} not found: install Debian's mosquitto package (node scripts/ensure-test-programs.mjs does it as root)`)
  return file
}

/** A port that was free a moment ago: bind port 0 on loopback, read it, release it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, HOST, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

async function freePorts(): Promise<Record<ListenerName, number>> {
  const ports = {} as Record<ListenerName, number>
  const taken = new Set<number>()
  for (const name of LISTENERS) {
    let port = await freePort()
    // Bounded: the system rarely hands out the same ephemeral port twice in a row.
    for (let i = 0; taken.has(port) && i < 10; i++) port = await freePort()
    taken.add(port)
    ports[name] = port
  }
  return ports
}

function config(
  dir: string,
  ports: Record<ListenerName, number>,
  certs: Certs,
  other: { certFile: string; keyFile: string },
  persistence: boolean,
  extra: readonly string[] | undefined,
  verbose: boolean,
  acl: boolean,
  dynamicSecurity: boolean,
): string {
  const tls = (cert: { certFile: string; keyFile: string }): string[] => [
    `cafile ${certs.caFile}`,
    `certfile ${cert.certFile}`,
    `keyfile ${cert.keyFile}`,
  ]
  const lines = [
    '# Generated by test/support/mosquitto.ts for one test file.',
    'per_listener_settings true',
    // Stay the user that started it (see the file header); no effect unless root.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    ...(persistence ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 0'] : ['persistence false']),
    'log_dest stderr',
    ...(verbose ? ['log_type all'] : ['log_type error', 'log_type warning', 'log_type notice', 'log_type information']),
    'log_timestamp_format %H:%M:%S',
    // Everything else at mosquitto's defaults (an inflight quota of 20 per client, a queue of
    // 1,000 per subscriber, …): what users meet. A test about a setting passes it in `settings`.
    ...(extra ?? []),
    '',
    `listener ${ports.plain} ${HOST}`,
    'allow_anonymous true',
    // Per listener (per_listener_settings): before any listener line it would bind no listener.
    ...(acl ? [`acl_file ${join(dir, 'acl')}`] : []),
    ...(dynamicSecurity ? [`plugin ${DYNAMIC_SECURITY}`, `plugin_opt_config_file ${join(dir, 'dynamic-security.json')}`] : []),
    '',
    `listener ${ports.tls} ${HOST}`,
    'allow_anonymous true',
    ...tls(certs.server),
    '',
    `listener ${ports.tlsClientCert} ${HOST}`,
    'allow_anonymous true',
    ...tls(certs.server),
    'require_certificate true',
    '',
    `listener ${ports.password} ${HOST}`,
    'allow_anonymous false',
    `password_file ${join(dir, 'passwords')}`,
    '',
    `listener ${ports.tlsOtherHost} ${HOST}`,
    'allow_anonymous true',
    ...tls(other),
    '',
  ]
  return lines.join('\n')
}

/** Resolves when a TCP connection to the port succeeds; false if it is refused. */
function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: HOST })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves when the process has exited (at once if it has). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Sends SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function kill(child: ChildProcess): Promise<void> {
  const gone = exited(child)
  child.kill('SIGTERM')
  let timer: ReturnType<typeof setTimeout> | undefined
  const inTime = await Promise.race([gone.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(r, STOP_GRACE_MS, false)))])
  clearTimeout(timer)
  if (!inTime) {
    child.kill('SIGKILL')
    await gone
  }
}

class Daemon {
  child: ChildProcess | undefined
  output = ''

  /** Starts mosquitto; resolves when every port accepts, rejects (with the log) if it exits or is late. */
  async start(binary: string, configFile: string, ports: number[], timeoutMs: number): Promise<void> {
    this.output = ''
    const child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (text: string) => {
      this.output = (this.output + text).slice(-LOG_LIMIT)
    })
    let exitedEarly = false
    const gone = exited(child).then(() => (exitedEarly = true))
    const deadline = Date.now() + timeoutMs
    const waiting = new Set(ports)
    while (waiting.size) {
      if (exitedEarly) break
      for (const port of [...waiting]) if (await probe(port)) waiting.delete(port)
      if (!waiting.size) break
      if (Date.now() >= deadline) break
      await sleep(20)
    }
    if (!waiting.size && !exitedEarly) return
    if (!exitedEarly) await kill(child)
    await gone
    // Let the last of stderr arrive (the reason it exited).
    await sleep(10)
    const why = exitedEarly ? `exited with ${child.exitCode ?? child.signalCode}` : `did not accept connections within ${timeoutMs} ms`
    throw Object.assign(new Error(`mosquitto ${why}:\n${this.output.trim()}`), { log: this.output })
  }
}

/** Writes mosquitto's password file for `users` (hashed by mosquitto_passwd). */
function writePasswords(passwd: string, file: string, users: Record<string, string>): void {
  const entries = Object.entries(users)
  if (!entries.length) writeFileSync(file, '')
  entries.forEach(([user, password], i) => {
    // -c creates the file with the first user; the others are added to it.
    execFileSync(passwd, ['-b', ...(i === 0 ? ['-c'] : []), file, user, password], { stdio: 'pipe' })
  })
}

/** Starts a mosquitto daemon for a test file; see the file header. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = programOrThrow('mosquitto')
  const passwd = programOrThrow('mosquitto_passwd')
  const users = { ...(options.users ?? DEFAULT_USERS) }
  const certs = options.certs ?? makeCerts()
  const ownCerts = options.certs === undefined
  const dir = mkdtempSync(join(tmpdir(), 'x-mqtt-mosquitto-'))
  const daemon = new Daemon()
  let stopped = false
  let onExit: (() => void) | undefined
  const cleanUp = (): void => {
    rmSync(dir, { recursive: true, force: true })
    if (ownCerts) certs.remove()
  }
  try {
    const passwords = join(dir, 'passwords')
    if (options.acl !== undefined) writeFileSync(join(dir, 'acl'), options.acl)
    if (options.dynamicSecurity !== undefined)
      writeFileSync(join(dir, 'dynamic-security.json'), JSON.stringify(options.dynamicSecurity, null, 2))
    writePasswords(passwd, passwords, users)
    const other = certs.issue('other-host', `DNS:${OTHER_HOST}`)
    const configFile = join(dir, 'mosquitto.conf')
    const timeoutMs = options.startTimeoutMs ?? 5000
    let ports: Record<ListenerName, number> | undefined
    for (let attempt = 1; !ports; attempt++) {
      const candidate = await freePorts()
      writeFileSync(
        configFile,
        config(
          dir,
          candidate,
          certs,
          other,
          options.persistence === true,
          options.settings,
          options.verbose === true,
          options.acl !== undefined,
          options.dynamicSecurity !== undefined,
        ),
      )
      try {
        await daemon.start(binary, configFile, Object.values(candidate), timeoutMs)
        ports = candidate
      } catch (error) {
        // Another process took a port between freePorts() and the start: try other ports.
        const clash = /address already in use/i.test(daemon.output)
        if (!clash || attempt >= START_ATTEMPTS) throw error
      }
    }
    const fixed = ports
    // A test process that exits without stop() (a crash, Ctrl-C) must not leave a daemon behind.
    onExit = () => daemon.child?.kill('SIGKILL')
    process.once('exit', onExit)

    const urls = {} as Record<ListenerName, string>
    for (const name of LISTENERS) {
      urls[name] =
        `${name === 'plain' || name === 'password' ? 'mqtt' : 'mqtts'}://${name.startsWith('tls') ? 'localhost' : HOST}:${fixed[name]}`
    }
    return {
      host: HOST,
      ports: fixed,
      urls,
      certs,
      users,
      dir,
      configFile,
      get pid() {
        return daemon.child?.pid ?? -1
      },
      log: () => daemon.output,
      waitForLog: (text, timeoutMs = 5000) =>
        waitFor(
          () => (typeof text === 'string' ? daemon.output.includes(text) : text.test(daemon.output)),
          `mosquitto to log ${String(text)}`,
          timeoutMs,
        ),
      restart: async (again = {}) => {
        if (stopped) throw new Error('restart(): mosquitto was stopped')
        if (daemon.child) await kill(daemon.child)
        if (again.users) {
          writePasswords(passwd, passwords, again.users)
          // The same object, now listing the new users: callers may hold it.
          for (const user of Object.keys(users)) delete users[user]
          Object.assign(users, again.users)
        }
        // Same ports: a clash now is a real failure, not retried.
        await daemon.start(binary, configFile, Object.values(fixed), timeoutMs)
      },
      stop: async () => {
        if (stopped) return
        stopped = true
        if (onExit) process.off('exit', onExit)
        if (daemon.child) await kill(daemon.child)
        daemon.child?.stderr?.destroy()
        cleanUp()
      },
    }
  } catch (error) {
    if (daemon.child) await kill(daemon.child)
    cleanUp()
    throw error
  }
}
