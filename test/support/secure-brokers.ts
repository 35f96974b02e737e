/**
 * The TLS and password endpoints of each real broker, behind one interface, so the TLS and
 * authentication scenarios are written once and run per broker:
 *
 * - `aedes`: one embedded broker per endpoint (examples/lib/embedded-broker.ts).
 * - `mosquitto`: the listeners of one daemon (./mosquitto.ts).
 *
 * Both use the same certificates (one CA), made by the caller with `makeCerts()`.
 */
import { afterAll, afterEach } from 'vitest'
import { makeCerts, type Certs } from '../../examples/lib/certs.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import type { TcpBrokerName } from './brokers.js'
import { DEFAULT_USERS, OTHER_HOST, startMosquitto } from './mosquitto.js'
import { ClientPool } from './test-clients.js'

/** Subscriptions under this topic are refused (SUBACK 0x80) where `refusesSubscriptions`. */
export const FORBIDDEN = 'forbidden'

export interface SecureBroker {
  name: TcpBrokerName
  /** TLS with the server certificate (localhost, 127.0.0.1, ::1), anonymous. */
  tlsPort: number
  /** TLS with a certificate issued for `otherHost` only. */
  otherHostPort: number
  otherHost: string
  /** TLS that requires a client certificate signed by the CA. */
  clientCertPort: number
  /** Plain TCP that requires one of `users`. */
  passwordPort: number
  users: Record<string, string>
  /**
   * Whether the password endpoint refuses subscriptions under `FORBIDDEN/` with SUBACK 0x80.
   * aedes does (an authorizeSubscribe hook). mosquitto 2.0.11 cannot with a plain configuration:
   * its `acl_file` grants every subscription and only filters what is delivered.
   */
  refusesSubscriptions: boolean
  stop(): Promise<void>
}

export async function startSecureBroker(name: TcpBrokerName, certs: Certs): Promise<SecureBroker> {
  const users = { ...DEFAULT_USERS }
  if (name === 'mosquitto') {
    const mosquitto = await startMosquitto({ certs, users })
    return {
      name,
      tlsPort: mosquitto.ports.tls,
      otherHostPort: mosquitto.ports.tlsOtherHost,
      otherHost: OTHER_HOST,
      clientCertPort: mosquitto.ports.tlsClientCert,
      passwordPort: mosquitto.ports.password,
      users,
      refusesSubscriptions: false,
      stop: () => mosquitto.stop(),
    }
  }
  const started: EmbeddedBroker[] = []
  const start = async (options: Parameters<typeof startEmbeddedBroker>[0], setUp?: (b: EmbeddedBroker) => void): Promise<number> => {
    const embedded = await startEmbeddedBroker(options)
    started.push(embedded)
    setUp?.(embedded)
    return embedded.port
  }
  // A subscription under FORBIDDEN/ is refused (SUBACK 0x80): null instead of the subscription.
  const refuseForbidden = ({ broker }: EmbeddedBroker): void => {
    broker.authorizeSubscribe = (_client, subscription, done) =>
      done(null, subscription.topic === FORBIDDEN || subscription.topic.startsWith(`${FORBIDDEN}/`) ? null : subscription)
  }
  const stop = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((b) => b.close()))
  }
  try {
    return {
      name,
      tlsPort: await start({ tls: certs.server }),
      otherHostPort: await start({ tls: certs.issue('aedes-other-host', `DNS:${OTHER_HOST}`) }),
      otherHost: OTHER_HOST,
      // Node's TLS server refuses a client without a valid certificate (rejectUnauthorized defaults to true).
      clientCertPort: await start({ tls: { ...certs.server, ca: certs.ca, requestCert: true } }),
      passwordPort: await start({ users }, refuseForbidden),
      users,
      refusesSubscriptions: true,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * The set-up of a test file of secure brokers: certificates made for the file (removed after
 * it) and a pool of clients closed after each test.
 */
export function secureTestFile(): { certs: Certs; pool: ClientPool } {
  const certs = makeCerts()
  const pool = new ClientPool()
  afterEach(() => pool.closeAll())
  afterAll(async () => {
    await pool.closeAll()
    certs.remove()
  })
  return { certs, pool }
}
