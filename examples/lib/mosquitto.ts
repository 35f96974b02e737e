/**
 * A mosquitto daemon for the tests: started on a free loopback port with a config file made for
 * it (anonymous, or a password file), stopped and cleaned up afterwards. Debian's package puts
 * the daemon in /usr/sbin, which is often not on PATH.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { start, type Running } from './processes.js'

/** The mosquitto daemon's path, or undefined when it is not installed. */
export function findMosquitto(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/opt/homebrew/sbin']
  return dirs
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, 'mosquitto'))
    .find((path) => existsSync(path))
}

export interface MosquittoOptions {
  /** Require these users (name → password); otherwise anonymous clients are allowed. */
  users?: Record<string, string>
}

export interface Mosquitto {
  host: string
  port: number
  url: string
  /** What the daemon logged so far (log_type all: every packet in and out). */
  log(): string
  /**
   * Resolves when the log shows `text`, e.g. \`Sending SUBACK to ${clientId}\`: how a test knows
   * that mosquitto_sub has subscribed (its own output is block-buffered in a pipe).
   */
  waitForLog(text: string | RegExp, ms?: number): Promise<void>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Resolves once something accepts TCP connections on the port; false after `ms`. */
async function listening(port: number, ms: number, daemon: Running): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline && daemon.child.exitCode === null) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => (socket.destroy(), resolve(false)))
    })
    if (ok) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = findMosquitto()
  if (!binary) throw new Error('mosquitto is not installed (Debian: apt-get install mosquitto mosquitto-clients)')
  const folder = mkdtempSync(join(tmpdir(), 'x-mqtt-mosquitto-'))
  // Started as root, mosquitto reads its files as the "mosquitto" user.
  chmodSync(folder, 0o755)
  const lines = ['per_listener_settings false', 'persistence false', 'log_dest stderr', 'log_type all']
  if (options.users) {
    const passwd = join(folder, 'passwd')
    writeFileSync(passwd, '')
    for (const [user, password] of Object.entries(options.users)) execFileSync('mosquitto_passwd', ['-b', passwd, user, password])
    chmodSync(passwd, 0o644)
    lines.push('allow_anonymous false', `password_file ${passwd}`)
  } else {
    lines.push('allow_anonymous true')
  }

  // The free port may be taken between the check and mosquitto's bind: then try another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const config = join(folder, 'mosquitto.conf')
    writeFileSync(config, [...lines, `listener ${port} 127.0.0.1`, ''].join('\n'))
    chmodSync(config, 0o644)
    const daemon = start(binary, ['-c', config], { timeoutMs: 10 * 60_000 })
    if (await listening(port, 5000, daemon)) {
      return {
        host: '127.0.0.1',
        port,
        url: `mqtt://127.0.0.1:${port}`,
        log: () => daemon.stderr + daemon.stdout,
        waitForLog: (text, ms) => daemon.waitFor(text, ms),
        stop: async () => {
          await daemon.stop()
          rmSync(folder, { recursive: true, force: true })
        },
      }
    }
    const { stderr } = await daemon.stop()
    if (attempt >= 3) {
      rmSync(folder, { recursive: true, force: true })
      throw new Error(`mosquitto did not start: ${stderr}`)
    }
  }
}
