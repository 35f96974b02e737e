/**
 * A subscriber with a durable session on a LevelStore, run as a child process by
 * test/robust-durable-subscriber-crash.test.ts so that it can be killed with SIGKILL mid-stream.
 * Its one argument is the JSON of `SubscriberConfig`.
 *
 * What it saw goes to the `log` file with appendFileSync, line by line, so that it survives a
 * SIGKILL (the page cache outlives the process) and is in the order it happened:
 *
 * - `p <payload> <pid> <dup>`: a PUBLISH packet arrived (seen by the simple client's packet hook,
 *   before the client acts on it; also the DUPs that the session then does not deliver).
 * - `r <pid>`: a PUBREL arrived (the same hook). For an id the session does not hold, the client
 *   answers PUBCOMP at once and writes nothing: no `d` line follows.
 * - `m <payload> <pid> <ms>`: the 'message' listener ran (the pid is that of the packet being
 *   handled: the listener runs synchronously inside the client's handling of that packet).
 * - `c <pid> <ms>`: the Store's batch holding the put of `in/<pid>` resolved: that id is durable.
 * - `d <pid> <ms>`: the Store's batch holding that id's removal resolved: its exchange is complete
 *   (PUBCOMP goes now), so the broker stops counting the message against the client's queue.
 *
 * `<ms>` is this process's clock (performance.timeOrigin + now), to measure the window between
 * the listener and the id being durable. On stdout: `restored {…}`, `connected <sessionPresent>`,
 * `subscribed`, `error <message>`.
 */
import { appendFileSync } from 'node:fs'
import { MqttClient } from '@x/simple'
import { RobustClient, type Store, type StoreOp } from '@x/robust'
import { LevelStore } from '@x/level-store'
import { R, recordsOf, withoutInbound } from './durable-log.js'

export interface SubscriberConfig {
  url: string
  clientId: string
  /** The LevelStore's folder. */
  store: string
  /** Subscribed at QoS 2. */
  topic: string
  /** The file the lines above are appended to. */
  log: string
  /**
   * A broken store, to show that the test catches what it is about: its scans of `in/` (the
   * client's read at connect()) find nothing, so the ids it holds are not put back in the session.
   * @default false
   */
  forgetInbound?: boolean
}

const config = JSON.parse(process.argv[2] ?? '{}') as SubscriberConfig
const say = (line: string): void => void process.stdout.write(`${line}\n`)
const log = (line: string): void => appendFileSync(config.log, `${line}\n`)
const clock = (): string => (performance.timeOrigin + performance.now()).toFixed(3)

// The LevelStore as the client uses it, telling when a batch that records an inbound id is durable.
const level = new LevelStore(config.store)
const store: Store = {
  open: () => level.open(),
  scan: async (prefix) => (config.forgetInbound ? withoutInbound(await level.scan(prefix)) : level.scan(prefix)),
  close: () => level.close(),
  async batch(ops: readonly StoreOp[]) {
    await level.batch(ops)
    const at = clock()
    for (const record of recordsOf(ops)) {
      if (record.type === R.INBOUND) log(`c ${record.pid} ${at}`)
      else if (record.type === R.INBOUND_DONE) log(`d ${record.pid} ${at}`)
    }
  },
}

let handling = -1
const client = new RobustClient({
  clientId: config.clientId,
  server: config.url,
  cleanSession: false,
  store,
  reconnect: { minDelayMs: 20, maxDelayMs: 100, jitter: false },
  // The real client, with a packet hook: the PUBLISH's packet id is not part of the 'message' event.
  createClient(options) {
    const simple = new MqttClient(options)
    simple.setCallbackPacket((packet) => {
      if (packet.type === 'pubrel') log(`r ${packet.pid}`)
      if (packet.type !== 'publish') return
      handling = packet.pid ?? -1
      log(`p ${Buffer.from(packet.payload).toString()} ${handling} ${packet.dup ? 1 : 0}`)
    })
    return simple
  },
})
client.on('restored', (info) => say(`restored ${JSON.stringify(info)}`))
client.on('connect', (sessionPresent) => say(`connected ${sessionPresent}`))
client.on('error', (error) => say(`error ${error.message}`))
client.on('reconnecting', () => {})
client.on('message', (_topic, payload) => log(`m ${Buffer.from(payload).toString()} ${handling} ${clock()}`))

client
  .connect()
  .then(() => client.subscribe(config.topic, { qos: 2 }))
  .then(() => say('subscribed'))
  .catch((error: { code?: string; message?: string }) => {
    say(`error ${error.code} ${error.message}`)
    process.exit(3)
  })
