/**
 * A password (or a client key's passphrase) is never printed: not in an error's message, its
 * String(), its cause chain, an event of @x/robust, nor anything `mqtt pub` / `mqtt sub` write
 * (usage errors of -L, failures, -d). A URL is shown as mqtt://alice:***@host:port/….
 */
import dns from 'node:dns'
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import { RobustClient } from '@x/robust'
import { MqttClient, type ClientOptions } from '@x/simple'
import { makeCerts } from '../../../examples/lib/certs.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../examples/lib/embedded-broker.js'
import { dropClient } from '../../../examples/lib/faults.js'
import { closedPort } from '@x/test-support/ports.js'
import { mqtt } from './support/in-process.js'

const SECRET = 'Hush7secret'

/** Everything an error shows: its String(), message and stack, and the same for each cause. */
function shown(value: unknown): string {
  const parts: string[] = []
  for (let e = value, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    parts.push(String(e))
    if (!(e instanceof Error)) {
      parts.push(JSON.stringify(e, (_k, v: unknown) => (v instanceof Error ? `${String(v)} ${v.stack}` : v)) ?? '')
      break
    }
    parts.push(e.message, e.stack ?? '')
    if (e instanceof AggregateError) parts.push(...e.errors.map(shown))
    e = e.cause
  }
  return parts.join('\n')
}

const users = { alice: SECRET }
const certs = makeCerts()
let plain: EmbeddedBroker
let secure: EmbeddedBroker
let closed: number
beforeAll(async () => {
  ;[plain, secure, closed] = await Promise.all([startEmbeddedBroker({ users }), startEmbeddedBroker({ tls: certs.server }), closedPort()])
})
afterAll(async () => {
  await Promise.all([plain?.close(), secure?.close()])
  certs.remove()
})
afterEach(() => {
  vi.restoreAllMocks()
  users.alice = SECRET
})

/** Name lookups fail as with an unknown host, without asking a name server off this machine. */
function failLookups(): void {
  vi.spyOn(dns, 'lookup').mockImplementation(((host: string, _options: unknown, callback?: unknown) => {
    const done = (typeof _options === 'function' ? _options : callback) as (error: Error) => void
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
      code: 'ENOTFOUND',
      errno: -3008,
      syscall: 'getaddrinfo',
      hostname: host,
    })
    process.nextTick(() => done(error))
  }) as never)
}

interface Row {
  name: string
  server: () => string
  options?: Partial<ClientOptions>
  /** What the error must say besides (no password). */
  says?: RegExp
  before?: () => void
}

const ROWS: Row[] = [
  { name: 'a bad %-escape in the password', server: () => `mqtt://alice:${SECRET}%zz@127.0.0.1:1883`, says: /password.*percent-escape/ },
  { name: 'a bad %-escape in the user name', server: () => `mqtt://al%zzice:${SECRET}@127.0.0.1:1883`, says: /user name.*percent-escape/ },
  {
    name: 'a wrong scheme',
    server: () => `http://alice:${SECRET}@127.0.0.1:1883`,
    says: /http:\/\/alice:\*\*\*@127.0.0.1:1883 is not a URL with a host and one of mqtt:/,
  },
  { name: 'port 99999', server: () => `mqtt://alice:${SECRET}@127.0.0.1:99999`, says: /port: 99999 is not a whole number from 1 to 65535/ },
  { name: 'no host', server: () => `mqtt://alice:${SECRET}@`, says: /is not a URL with a host/ },
  { name: 'no host but a port', server: () => `mqtt://alice:${SECRET}@:1883`, says: /is not a URL with a host/ },
  { name: 'a connection refused', server: () => `mqtt://alice:${SECRET}@127.0.0.1:${closed}`, says: /ECONNREFUSED|refused/ },
  {
    name: 'an unknown host',
    server: () => `mqtt://alice:${SECRET}@nowhere.invalid:1883`,
    says: /ENOTFOUND|not found|unknown/i,
    before: failLookups,
  },
  { name: 'a certificate not trusted', server: () => `mqtts://alice:${SECRET}@localhost:${secure.port}` },
  { name: 'TLS to a plain port', server: () => `mqtts://alice:${SECRET}@127.0.0.1:${plain.port}` },
  { name: 'a wrong password', server: () => `mqtt://alice:${SECRET}x@127.0.0.1:${plain.port}`, says: /password|authorized/ },
  {
    name: "a client key's passphrase with a key that is not one",
    server: () => `mqtts://localhost:${secure.port}`,
    options: { tls: { ca: certs.ca, key: 'not a key', cert: certs.client.cert, passphrase: SECRET } },
  },
]

/** Every error and event the client shows for `row`: the constructor's, connect()'s, and robust's events. */
async function whatIsShown(row: Row, robust: boolean): Promise<unknown[]> {
  row.before?.()
  const options: ClientOptions = { clientId: `p-${robust ? 'r' : 's'}`, server: row.server(), socketTimeoutMs: 2000, ...row.options }
  const seen: unknown[] = []
  if (!robust) {
    let client: MqttClient
    try {
      client = new MqttClient(options)
    } catch (error) {
      return [error]
    }
    await client.connect().catch((error: unknown) => seen.push(error))
    await client.disconnect()
    return seen
  }
  let client: RobustClient
  try {
    client = new RobustClient({ ...options, reconnect: { minDelayMs: 10, jitter: false } })
  } catch (error) {
    return [error]
  }
  const giveUp = new AbortController()
  client.on('reconnecting', (info) => (seen.push(info, info.error), giveUp.abort(new Error('given up'))))
  client.on('error', (error) => seen.push(error))
  client.on('disconnect', (error) => seen.push(error))
  await client.connect({ signal: AbortSignal.any([giveUp.signal, AbortSignal.timeout(5000)]) }).catch((error: unknown) => seen.push(error))
  await client.close()
  return seen
}

describe.each([
  ['MqttClient', false],
  ['RobustClient', true],
])('%s', (_name, robust) => {
  test.each(ROWS)('$name: an error, and no password in it', async (row) => {
    const seen = await whatIsShown(row, robust)
    expect(seen.length).toBeGreaterThan(0)
    const text = seen.map(shown).join('\n')
    expect(text).not.toContain(SECRET)
    if (row.says) expect(text).toMatch(row.says)
  })
})

test("RobustClient's 'connect', 'disconnect', 'reconnecting' and 'error' events and its server after the password changed on the broker", async () => {
  const client = new RobustClient({
    clientId: 'p-events',
    server: `mqtt://alice:${SECRET}@127.0.0.1:${plain.port}`,
    reconnect: { minDelayMs: 10, jitter: false },
  })
  const seen: unknown[] = []
  const refused = new Promise<void>((resolve) => client.on('error', (error) => (seen.push(error), resolve())))
  client.on('reconnecting', (info) => seen.push(info))
  client.on('disconnect', (error) => seen.push(error))
  client.on('connect', (_sessionPresent, server) => seen.push(server))
  try {
    await client.connect()
    seen.push(client.server)
    users.alice = 'changed'
    expect(dropClient(plain, 'p-events')).toBe(true)
    await Promise.race([refused, new Promise((_, reject) => setTimeout(() => reject(new Error('no error event')), 5000))])
  } finally {
    await client.close()
  }
  expect(seen.map(shown).join('\n')).toMatch(/bad user name or password|not authorized/)
  expect(seen).toContain(`mqtt://alice:***@127.0.0.1:${plain.port}`)
  expect(seen.map(shown).join('\n')).not.toContain(SECRET)
})

describe('mqtt pub and mqtt sub', () => {
  const login = ['-u', 'alice', '-P', SECRET]
  interface CliRow {
    name: string
    args: () => string[]
    code: number
    says?: RegExp
    before?: () => void
  }
  test.each<CliRow>([
    {
      name: '-L with a bad %-escape in the password',
      args: () => ['-L', `mqtt://alice:${SECRET}%zz@127.0.0.1:${plain.port}/t`],
      code: 2,
      says: /"mqtt:\/\/alice:\*\*\*@127.0.0.1:\d+\/t": a bad %-escape in the password/,
    },
    {
      name: '-L with a wrong scheme',
      args: () => ['-L', `http://alice:${SECRET}@127.0.0.1:${plain.port}/t`],
      code: 2,
      says: /http:\/\/alice:\*\*\*@127/,
    },
    {
      name: '-L with port 99999',
      args: () => ['-L', `mqtt://alice:${SECRET}@127.0.0.1:99999/t`],
      code: 2,
      says: /the port 99999 is out of 1\.\.65535/,
    },
    { name: '-L with no host', args: () => ['-L', `mqtt://alice:${SECRET}@/t`], code: 2, says: /mqtt:\/\/alice:\*\*\*@\/t/ },
    { name: '-L to a closed port', args: () => ['-L', `mqtt://alice:${SECRET}@127.0.0.1:${closed}/t`], code: 4 },
    { name: '-u -P to a closed port', args: () => ['-h', '127.0.0.1', '-p', String(closed), ...login, '-t', 't'], code: 4 },
    { name: '-L to an unknown host', args: () => ['-L', `mqtt://alice:${SECRET}@nowhere.invalid/t`], code: 4, before: failLookups },
    { name: '-u -P to an unknown host', args: () => ['-h', 'nowhere.invalid', ...login, '-t', 't'], code: 4, before: failLookups },
    {
      name: '-L mqtts:// with a certificate not trusted',
      args: () => ['-L', `mqtts://alice:${SECRET}@localhost:${secure.port}/t`],
      code: 6,
    },
    { name: '-L with a wrong password', args: () => ['-L', `mqtt://alice:${SECRET}x@127.0.0.1:${plain.port}/t`], code: 5 },
    { name: '-L, published', args: () => ['-L', `mqtt://alice:${SECRET}@127.0.0.1:${plain.port}/t`, '-q', '1'], code: 0 },
    {
      // No host has an @: the password runs to the last one, as printableUrl masks it (split at the
      // first, the rest of the password was taken for the host, looked up and printed).
      name: '-L with an @ in the password, not %-escaped, published',
      args: () => ['-L', `mqtt://alice:${SECRET}@home@127.0.0.1:${plain.port}/t`, '-q', '1'],
      code: 0,
      before: () => void (users.alice = `${SECRET}@home`),
    },
    { name: '-u -P, published', args: () => ['-h', '127.0.0.1', '-p', String(plain.port), ...login, '-t', 't', '-q', '1'], code: 0 },
  ])('pub -d $name: exit $code, no password on stdout or stderr', async ({ args, code, says, before }) => {
    before?.()
    const result = await mqtt(['pub', '-d', ...args(), '-m', 'hi', '-W', '3']).done
    expect(result.code).toBe(code)
    expect(result.stdout + result.stderr).not.toContain(SECRET)
    if (says) expect(result.stderr).toMatch(says)
  })

  test('sub -d -L, reconnecting after the broker dropped it, then refused: no password', async () => {
    const sub = mqtt(['sub', '-d', '-L', `mqtt://alice:${SECRET}@127.0.0.1:${plain.port}/t`, '-W', '10'])
    await sub.stderr.waitFor('subscribed to t')
    users.alice = 'changed'
    for (const id of Object.keys((plain.broker as unknown as { clients: object }).clients)) dropClient(plain, id)
    const result = await sub.done
    expect(result.code).toBe(5)
    expect(result.stderr).toMatch(/reconnecting/)
    expect(result.stdout + result.stderr).not.toContain(SECRET)
  })
})
