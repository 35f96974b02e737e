/**
 * A publisher with a durable session on a LevelStore, run as a child process by the crash tests
 * (test/robust-durable-crash*.test.ts) so that it can be killed with SIGKILL. Its one argument is
 * the JSON of `PublisherConfig`; it talks to the test in lines on stdout:
 *
 * - `restored {"queued":…,"inFlight":…,…}`: connect() has read the store.
 * - `stored`: (with `count`) every message it published is in the store: the Store's batch()
 *   that held the last of them has resolved (with `sync`, on the disk; without, in the OS).
 *   Counted on the Store interface itself, by wrapping it: the puts of `q/<seq>` keys (a message
 *   taken by publish(), durable-records.ts) whose batch resolved.
 * - `connected <sessionPresent>`, `drop <id> <reason>`, `error <message>`.
 * - `connect-failed <code> <message>`: connect() rejected (then it exits with code 3).
 * - `drained`: (with `drain`) connected, nothing queued or in flight: it closes and exits 0.
 */
import { RobustClient, type Store, type StoreOp } from '@x/robust'
import { LevelStore } from '@x/level-store'
import { R, recordsOf } from './durable-log.js'

export interface PublisherConfig {
  url: string
  clientId: string
  /** The LevelStore's folder. */
  store: string
  topic: string
  /** Publish this many QoS 1 and this many QoS 2 messages (interleaved; payload `<qos>:<n>`, id `<qos>-<n>`). @default 0 */
  count?: number
  /** Exit once connected with nothing queued or in flight. @default false */
  drain?: boolean
  /** @default 4 */
  protocolVersion?: 4 | 5
  /** @x/robust's `maxInFlight`. @default 20 (its own default) */
  maxInFlight?: number
  /** The LevelStore's `sync`. @default true (its own default) */
  sync?: boolean
}

const config = JSON.parse(process.argv[2] ?? '{}') as PublisherConfig
const say = (line: string): void => void process.stdout.write(`${line}\n`)

const level = new LevelStore(config.store, { sync: config.sync ?? true })
let queuedPuts = 0
let onCommitted = (): void => {}
const store: Store = {
  open: () => level.open(),
  scan: (prefix) => level.scan(prefix),
  close: () => level.close(),
  async batch(ops: readonly StoreOp[]) {
    await level.batch(ops)
    queuedPuts += recordsOf(ops).filter((record) => record.type === R.MESSAGE).length
    onCommitted()
  },
}

const client = new RobustClient({
  clientId: config.clientId,
  server: config.url,
  cleanSession: false,
  store,
  protocolVersion: config.protocolVersion ?? 4,
  ...(config.maxInFlight && { maxInFlight: config.maxInFlight }),
  reconnect: { minDelayMs: 20, maxDelayMs: 100, jitter: false },
})
let restored = false
let connected = false
client.on('restored', (info) => {
  restored = true
  say(`restored ${JSON.stringify(info)}`)
})
client.on('connect', (sessionPresent) => {
  connected = true
  say(`connected ${sessionPresent}`)
})
client.on('disconnect', () => (connected = false))
client.on('drop', (message, reason) => say(`drop ${message.id} ${reason}`))
client.on('error', (error) => say(`error ${error.message}`))
client.on('reconnecting', () => {})

client.connect().catch((error: { code?: string; message?: string }) => {
  say(`connect-failed ${error.code} ${error.message}`)
  process.exit(3)
})

// connect() reads the store before its first attempt: publish once it has, so the messages follow what it held.
const count = config.count ?? 0
const started = Date.now()
const timer = setInterval(() => {
  if (!restored) return
  if (count > 0 && !published) publish()
  if (config.drain && connected && published && client.queued === 0 && client.inFlight === 0) {
    clearInterval(timer)
    void client.close().then(async () => {
      await level.close()
      say(`drained ${Date.now() - started}`)
      process.exit(0)
    })
  }
}, 5)

let published = count === 0
function publish(): void {
  published = true
  for (let n = 0; n < count; n++) {
    for (const qos of [1, 2] as const) client.publish(config.topic, `${qos}:${n}`, { qos, id: `${qos}-${n}` }).catch(() => {})
  }
  onCommitted = () => {
    if (queuedPuts < 2 * count) return
    onCommitted = () => {}
    say('stored')
  }
  onCommitted()
}
