/**
 * "Embedded or --url": where an example's clients connect. With `--url` (or env MQTT_URL) it is
 * that broker; without, an aedes broker started in this process on a free loopback port (with
 * TLS and a certificate made for the run when the example is about TLS), so every example runs
 * offline.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { ClientOptions } from '@x/simple'
import type { BrokerArgs } from './args.js'
import { makeCerts, type Certs } from './certs.js'
import { startEmbeddedBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js'

/** The connection options every client of the example gets. */
export type ConnectionOptions = Pick<ClientOptions, 'server' | 'user' | 'password' | 'tls'>

export interface Broker {
  /** Spread into `new MqttClient({ clientId, ...broker.options })`. */
  options: ConnectionOptions
  /** The broker's URL, without the password (for the output). */
  url: string
  /** The broker's host name (what TLS checks the certificate against, and sends as SNI). */
  host: string
  /** Whether the connection uses TLS. */
  tls: boolean
  /** The CA certificate file to trust: `--cafile`, or the one made for the run. */
  caFile: string | undefined
  /** The broker in this process, when there was no `--url`. */
  embedded: EmbeddedBroker | undefined
  /** What it was started with, to start it again (same port, same certificate). */
  embeddedOptions: EmbeddedBrokerOptions | undefined
  /** Stops the embedded broker (and removes its certificates); nothing to do for `--url`. */
  close(): Promise<void>
}

export interface BrokerNeeds {
  /** The example is about TLS: the embedded broker serves TLS with a certificate made for the run. */
  tls?: boolean
  /** User and password the example uses on the embedded broker, which then requires them (not sent with --url). */
  user?: string
  password?: string
  /** Where to say what was chosen. */
  print?: (line: string) => void
}

const SECURE = /^(mqtts|ssl|tls|wss):\/\//

/** A file name as the user typed it: run by pnpm (which runs scripts in examples/), relative to where pnpm was started. */
const userPath = (file: string): string => resolve((process.env['npm_lifecycle_event'] && process.env['INIT_CWD']) || process.cwd(), file)

/** Opens the broker the arguments ask for: `--url`/MQTT_URL, or an embedded one. */
export async function openBroker(args: BrokerArgs, needs: BrokerNeeds = {}): Promise<Broker> {
  const print = needs.print ?? (() => {})
  const given = args.url ?? process.env['MQTT_URL']
  // The example's own user and password are for the embedded broker; elsewhere only yours count.
  const user = args.user ?? (given ? undefined : needs.user)
  const password = args.password ?? (given || args.user !== undefined ? undefined : needs.password)
  const login = { ...(user === undefined ? {} : { user }), ...(password === undefined ? {} : { password }) }

  if (given) {
    // A bare host name means plain MQTT on the default port.
    const url = given.includes('://') ? given : `mqtt://${given}`
    const parsed = URL.canParse(url) ? new URL(url) : undefined
    if (!parsed) throw new Error(`--url ${JSON.stringify(given)} is not a URL such as mqtt://host:1883`)
    const tls = SECURE.test(url) || args.tls === true || args.cafile !== undefined
    const caFile = args.cafile === undefined ? undefined : userPath(args.cafile)
    const tlsOptions = caFile ? { ca: readFileSync(caFile) } : tls
    parsed.password = ''
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
    print(`broker: ${parsed.href}${tls ? ` (TLS${caFile ? `, trusting ${caFile}` : ''})` : ''}`)
    return {
      options: { server: url, ...login, ...(tls ? { tls: tlsOptions } : {}) },
      url: parsed.href,
      host,
      tls,
      caFile,
      embedded: undefined,
      embeddedOptions: undefined,
      close: async () => {},
    }
  }

  // No --url: a broker in this process. It requires the example's user and password, if any.
  const tls = needs.tls === true || args.tls === true
  let certs: Certs | undefined
  try {
    if (tls) certs = makeCerts()
    const embeddedOptions: EmbeddedBrokerOptions = {
      ...(certs ? { tls: certs.server } : {}),
      ...(user === undefined || password === undefined ? {} : { users: { [user]: password } }),
    }
    const embedded = await startEmbeddedBroker(embeddedOptions)
    const what = [
      tls ? 'TLS with a certificate made for this run' : '',
      password === undefined ? '' : `user "${user}" with a password`,
    ].filter(Boolean)
    print(`No --url: embedded broker at ${embedded.url}${what.length ? ` (${what.join(', ')})` : ''}`)
    const made = certs
    return {
      options: { server: embedded.url, ...login, ...(made ? { tls: { ca: made.ca } } : {}) },
      url: embedded.url,
      host: embedded.url.startsWith('mqtts:') ? 'localhost' : embedded.host,
      tls,
      caFile: made?.caFile,
      embedded,
      embeddedOptions: { ...embeddedOptions, port: embedded.port },
      close: async () => {
        await embedded.close()
        made?.remove()
      },
    }
  } catch (error) {
    certs?.remove()
    throw error
  }
}
