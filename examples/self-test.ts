/**
 * Seed 002 — umqtt.simple2's self-test (its `TestMQTT` class in tests.py): point it at your own
 * broker before building on it, and see what works there.
 *
 * Like TestMQTT, every check uses a fresh connection, its own topic `<client id>/x-mqtt/<check>/`,
 * callbacks that remember what they saw, and a bounded wait. Unlike it, QoS 2 and the last will
 * are checked too, and the result is a table with the time each check took. The exit code is 1
 * when any check fails.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { MqttClient, SDELIVERED, nodeTransport, type Link, type QoS } from '@x/simple'
import { BROKER_USAGE, UsageError, intArg, parseExampleArgs } from './lib/args.js'
import { openBroker, type ConnectionOptions } from './lib/broker.js'
import { explain, isMain, runMain, type Print } from './lib/main.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run self-test [options]
Checks connect, QoS 0/1/2, retained messages, the last will, a long topic and the status callback
against a broker, and prints a pass/fail table with timings (seed 002).
  --timeout MS       how long each wait may take (default 5000)
  --only NAMES       run only these checks (comma-separated, e.g. "qos1,retain")
${BROKER_USAGE}`

/** A client whose callbacks remember what they saw, as TestMQTT's sub_cb / stat_cb do. */
class Probe {
  readonly client: MqttClient
  readonly messages: Array<{ topic: string; text: string; retained: boolean }> = []
  readonly statuses: Array<{ pid: number; status: number }> = []
  /** The open connection, so that `vanish()` can cut it without a DISCONNECT. */
  #link: Link | undefined

  constructor(clientId: string, options: ConnectionOptions, timeoutMs: number) {
    this.client = new MqttClient({
      clientId,
      ...options,
      socketTimeoutMs: timeoutMs,
      messageTimeoutMs: timeoutMs,
      // The Node transport, remembering the link: the only way to lose a connection abruptly on
      // purpose, which the last-will check needs.
      transport: async (target, handlers) => (this.#link = await nodeTransport(target, handlers)),
    })
    this.client.setCallback((topic, payload, retained) => {
      this.messages.push({ topic, text: new TextDecoder().decode(payload), retained })
    })
    this.client.setCallbackStatus((pid, status) => this.statuses.push({ pid, status }))
  }

  /** Processes packets until `found()` returns something, or fails after `timeoutMs`. */
  async until<T>(what: string, found: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const result = found()
      if (result !== undefined) return result
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timeout: no ${what} within ${timeoutMs} ms`)
      await this.client.waitMsg(left)
    }
  }

  /** Processes packets for `ms` (to see that nothing more arrives). */
  async idle(ms: number): Promise<void> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) await this.client.waitMsg(deadline - Date.now())
  }

  delivered(pid: number, timeoutMs: number): Promise<true> {
    return this.until(
      `SDELIVERED status for pid ${pid}`,
      () => this.statuses.some((s) => s.pid === pid && s.status === SDELIVERED) || undefined,
      timeoutMs,
    )
  }

  received(topic: string, text: string, timeoutMs: number): Promise<{ retained: boolean }> {
    return this.until(`message "${text}" on ${topic}`, () => this.messages.find((m) => m.topic === topic && m.text === text), timeoutMs)
  }

  /** Loses the connection without DISCONNECT, as a crash or a dead Wi-Fi would. */
  vanish(): void {
    this.#link?.destroy()
  }
}

interface Check {
  name: string
  title: string
  run(t: Ctx): Promise<string | void>
}

interface Ctx {
  topic: string
  probe(suffix?: string): Probe
  timeout: number
}

function assert(ok: boolean, message: string): asserts ok {
  if (!ok) throw new Error(message)
}

/** Subscribe, publish to ourselves with `qos`, check that it comes back once. */
async function roundTrip(t: Ctx, qos: QoS, topic = t.topic): Promise<string> {
  const p = t.probe()
  await p.client.connect()
  try {
    const sub = await p.client.subscribe(`${topic}#`, { qos })
    await p.delivered(sub, t.timeout) // SUBACK
    const text = `test QoS ${qos}`
    const pid = await p.client.publish(topic, text, { qos })
    if (qos) {
      assert(pid !== undefined, `publish at QoS ${qos} resolved no packet id`)
      await p.delivered(pid, t.timeout) // PUBACK for QoS 1, PUBCOMP for QoS 2
    }
    await p.received(topic, text, t.timeout)
    if (qos === 2) {
      await p.idle(200)
      const copies = p.messages.filter((m) => m.text === text).length
      assert(copies === 1, `QoS 2 message delivered ${copies} times`)
    }
    return qos ? `pid ${pid} delivered, message back` : 'message back'
  } finally {
    await p.client.disconnect()
  }
}

const CHECKS: Check[] = [
  {
    name: 'connect',
    title: 'connect / disconnect',
    run: async (t) => {
      const p = t.probe()
      const sessionPresent = await p.client.connect()
      assert(p.client.isConnected, 'not connected after connect()')
      assert(sessionPresent === false, 'a clean session came back with session present')
      await p.client.disconnect()
      assert(!p.client.isConnected, 'still connected after disconnect()')
    },
  },
  { name: 'qos0', title: 'publish + subscribe QoS 0', run: (t) => roundTrip(t, 0) },
  { name: 'qos1', title: 'publish + subscribe QoS 1', run: (t) => roundTrip(t, 1) },
  { name: 'qos2', title: 'publish + subscribe QoS 2', run: (t) => roundTrip(t, 2) },
  {
    name: 'retain',
    title: 'retained message',
    run: async (t) => {
      const p = t.probe()
      await p.client.connect()
      const pid = await p.client.publish(t.topic, 'test retain', { qos: 1, retain: true })
      await p.delivered(pid as number, t.timeout)
      await p.client.disconnect()
      // A new connection that subscribes afterwards gets it, flagged retained.
      await p.client.connect()
      try {
        await p.client.subscribe(`${t.topic}#`)
        const { retained } = await p.received(t.topic, 'test retain', t.timeout)
        assert(retained, 'the message came back without the retain flag')
      } finally {
        await p.client.publish(t.topic, '', { retain: true }).catch(() => {}) // clear it
        await p.client.disconnect()
      }
      return 'stored and flagged retained'
    },
  },
  {
    name: 'will',
    title: 'last will',
    run: async (t) => {
      const watcher = t.probe('watcher')
      await watcher.client.connect()
      try {
        const sub = await watcher.client.subscribe(`${t.topic}#`, { qos: 1 })
        await watcher.delivered(sub, t.timeout)
        // A clean disconnect: the broker drops the will.
        const polite = t.probe('polite')
        polite.client.setLastWill(`${t.topic}polite`, 'polite is gone', { qos: 1 })
        await polite.client.connect()
        await polite.client.disconnect()
        // An abrupt loss: the broker publishes the will.
        const rude = t.probe('rude')
        rude.client.setLastWill(`${t.topic}rude`, 'rude is gone', { qos: 1 })
        await rude.client.connect()
        rude.vanish()
        await watcher.received(`${t.topic}rude`, 'rude is gone', t.timeout)
        assert(!watcher.messages.some((m) => m.text === 'polite is gone'), 'the will was published after a clean disconnect')
        await rude.client.disconnect()
        return 'published on loss, not on disconnect'
      } finally {
        await watcher.client.disconnect()
      }
    },
  },
  {
    name: 'long-topic',
    title: 'long topic (> 127 bytes)',
    run: async (t) => {
      // simple2's test_subscribe_long_topic: 28 more levels, so lengths need two bytes to encode.
      const topic = t.topic + '1234567890/'.repeat(28)
      await roundTrip(t, 1, topic)
      return `${Buffer.byteLength(topic)}-byte topic`
    },
  },
  {
    name: 'status',
    title: 'status callback',
    run: async (t) => {
      const p = t.probe()
      await p.client.connect()
      try {
        const sub = await p.client.subscribe(`${t.topic}#`, { qos: 1 })
        const pub = (await p.client.publish(t.topic, 'status', { qos: 1 })) as number
        await p.received(t.topic, 'status', t.timeout)
        const unsub = await p.client.unsubscribe(`${t.topic}#`)
        const pids = [sub, pub, unsub]
        assert(new Set(pids).size === 3, `packet ids not distinct: ${pids.join(', ')}`)
        for (const pid of pids) await p.delivered(pid, t.timeout) // SUBACK, PUBACK, UNSUBACK
        // Unsubscribed: a message to the topic is acknowledged but no longer comes back.
        const after = (await p.client.publish(t.topic, 'after unsubscribe', { qos: 1 })) as number
        await p.delivered(after, t.timeout)
        await p.idle(200)
        assert(!p.messages.some((m) => m.text === 'after unsubscribe'), 'a message arrived after UNSUBACK')
        const wrong = p.statuses.filter((s) => s.status !== SDELIVERED)
        assert(wrong.length === 0, `unexpected statuses: ${JSON.stringify(wrong)}`)
        return `SDELIVERED for SUBACK ${sub}, PUBACK ${pub}, UNSUBACK ${unsub}, PUBACK ${after}`
      } finally {
        await p.client.disconnect()
      }
    },
  },
]

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, { timeout: { type: 'string' }, only: { type: 'string' } })
  if (args.help) return print(USAGE)
  const timeout = intArg(args.timeout, 'timeout', 5000, 1)
  const only = args.only?.split(',').map((s) => s.trim())
  const unknown = only?.filter((name) => !CHECKS.some((c) => c.name === name)) ?? []
  if (unknown.length)
    throw new UsageError(`--only: unknown check ${unknown.join(', ')}; there are: ${CHECKS.map((c) => c.name).join(', ')}`)

  const broker = await openBroker(args, { print })
  const id = `selftest-${randomBytes(3).toString('hex')}`
  print(`x-mqtt self-test against ${broker.url} (client id ${id}, topics under ${id}/x-mqtt/)`)
  const results: Array<{ check: Check; error?: unknown; note?: string; ms: number }> = []
  try {
    for (const check of CHECKS.filter((c) => !only || only.includes(c.name))) {
      const probes: Probe[] = []
      const ctx: Ctx = {
        topic: `${id}/x-mqtt/${check.name}/`,
        timeout,
        probe: (suffix = '') => {
          const p = new Probe(`${id}-${check.name}${suffix && `-${suffix}`}`, broker.options, timeout)
          probes.push(p)
          return p
        },
      }
      const start = performance.now()
      try {
        const note = await check.run(ctx)
        results.push({ check, ms: performance.now() - start, ...(note ? { note } : {}) })
      } catch (error) {
        results.push({ check, error, ms: performance.now() - start })
      } finally {
        for (const p of probes) await p.client.disconnect() // whatever a failed check left open
      }
      await sleep(0)
    }
  } finally {
    await broker.close()
  }

  const width = Math.max(...results.map((r) => r.check.title.length))
  print('')
  print(`${'check'.padEnd(width)}  result  time      details`)
  for (const r of results) {
    const time = `${r.ms.toFixed(0)} ms`.padStart(7)
    const details = r.error === undefined ? (r.note ?? '') : explain(r.error)
    print(`${r.check.title.padEnd(width)}  ${r.error === undefined ? 'pass' : 'FAIL'}    ${time}   ${details}`.trimEnd())
  }
  const failed = results.filter((r) => r.error !== undefined)
  print('')
  print(`${results.length - failed.length} passed, ${failed.length} failed`)
  if (failed.length) throw new Error(`failed: ${failed.map((r) => r.check.name).join(', ')}`)
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
