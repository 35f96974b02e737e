/**
 * `mqtt pub`: connect, publish one message (-m, -f, -n, -s; --repeat times) or one per line of
 * stdin (-l), wait for the acknowledgements of QoS 1/2 (PUBACK / PUBCOMP, at most -W seconds, or
 * 10), then disconnect.
 */
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { MqttClient, SDELIVERED, SREFUSED, STIMEOUT, isRetryable } from '@x/simple'
import { inCliTerms } from './cli-terms.js'
import { debugOf } from './debug.js'
import { CliError, EXIT } from './exit-codes.js'
import type { Io } from './io.js'
import { linesOf } from './lines.js'
import { watchLink, type LinkWatch } from './link-watch.js'
import type { Config } from './options.js'
import { reasonText } from './reason-codes.js'

/** Most QoS 1/2 messages sent and not yet acknowledged: @x/robust's `maxInFlight` default, mosquitto's `max_inflight_messages`. */
export const IN_FLIGHT = 20

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  return Buffer.concat(chunks)
}

export async function pub(cfg: Config, io: Io): Promise<void> {
  const debug = debugOf(cfg, io)
  const topic = cfg.topics[0] as string
  // -s: the whole of stdin is the message; read before connecting, so the connection does not idle.
  const whole = cfg.source.kind === 'stdin' ? await readAll(io.stdin) : undefined

  const pending = new Set<number>()
  let unacknowledged = 0
  // MQTT 5: PUBACK / PUBREC / PUBCOMP with a reason code >= 0x80, each in words.
  const refused: string[] = []
  const open = (server: string): MqttClient => {
    const made = new MqttClient({ ...cfg.client, server, ...(debug.transport && { transport: debug.transport }) })
    if (cfg.will) made.setLastWill(cfg.will.topic, cfg.will.payload, cfg.will)
    made.setCallbackStatus((pid, status, code, properties) => {
      if (!pending.delete(pid)) return
      if (status === SREFUSED) refused.push(reasonText(code ?? 0x80, properties?.reasonString))
      else if (status === STIMEOUT) unacknowledged++
      else if (status !== SDELIVERED) unacknowledged++ // SLOST: the session was lost before the acknowledgement
    })
    return made
  }
  let client = open(cfg.servers[0] as string)
  const stopped = (): boolean => io.signal?.aborted === true
  let watch: LinkWatch | undefined
  /** Processes acknowledgements until at most `most` messages wait for theirs (each gets STIMEOUT at -W, so this ends). */
  const settle = async (most: number): Promise<void> => {
    while (pending.size > most && !stopped()) await client.waitMsg()
  }
  const send = async (payload: Uint8Array): Promise<void> => {
    // At most IN_FLIGHT unacknowledged, as @x/robust: beyond mosquitto's max_inflight_messages
    // (20) it drops QoS 2 messages on MQTT 3.1.1, yet completes their exchange.
    await settle(IN_FLIGHT - 1)
    if (stopped()) return
    const properties = cfg.properties.publish
    const pid = await client.publish(topic, payload, { qos: cfg.qos, retain: cfg.retain, ...(properties && { properties }) })
    if (pid !== undefined) pending.add(pid)
    client.checkMsg() // acknowledgements that have arrived meanwhile; never waits
  }

  try {
    // Several -h hosts: each in turn until one answers; an error no retry can fix ends the search.
    for (const [i, server] of cfg.servers.entries()) {
      if (i) client = open(server)
      try {
        await client.connect({ cleanSession: cfg.cleanSession, ...(io.signal && { signal: io.signal }) })
        break
      } catch (error) {
        if (i === cfg.servers.length - 1 || !isRetryable(error) || stopped()) throw error
        debug(`${server}: ${inCliTerms((error as Error).message)}; trying ${cfg.servers[i + 1]}`)
      }
    }
    if (cfg.source.kind === 'lines') {
      // -l: one message per line, its bytes (an empty line is an empty message, as with mosquitto_pub).
      const next = linesOf(io.stdin)
      // Ctrl-C ends the lines: the next read returns done, whatever stdin still holds.
      let interrupted: () => void = () => {}
      const stop = new Promise<IteratorReturnResult<undefined>>(
        (resolve) => (interrupted = () => resolve({ done: true, value: undefined })),
      )
      io.signal?.addEventListener('abort', interrupted)
      if (stopped()) interrupted()
      watch = watchLink(client)
      try {
        for (;;) {
          const line = await Promise.race([next.next(), watch.lost, stop])
          if (line.done) break
          await send(line.value)
        }
      } finally {
        watch.stop()
        io.signal?.removeEventListener('abort', interrupted)
        // Done, or given up: stdin is read no more. Destroyed, so an open pipe (`tail -f log |`)
        // keeps no handle and the process exits now, not when the writer closes it.
        io.stdin.destroy()
        void next.return(undefined).catch(() => {})
      }
    } else {
      const payload = whole ?? (cfg.source.kind === 'payload' ? cfg.source.payload : new Uint8Array())
      for (let n = 0; n < cfg.repeat.times && !stopped(); n++) {
        if (n && cfg.repeat.delayMs) await sleep(cfg.repeat.delayMs, undefined, { signal: io.signal }).catch(() => undefined)
        if (!stopped()) await send(payload)
      }
    }
    // QoS 1/2: wait for PUBACK / PUBCOMP. Each pending id gets STIMEOUT at messageTimeoutMs, so
    // this ends; the extra second is a margin for that status to be reported.
    const deadline = Date.now() + (cfg.client.messageTimeoutMs ?? 10_000) + 1000
    while (pending.size && Date.now() < deadline && !stopped()) await client.waitMsg(deadline - Date.now())
    if (refused.length) {
      const ack = cfg.qos === 2 ? 'PUBREC' : 'PUBACK'
      throw new CliError(
        EXIT.NOT_ALLOWED,
        `the broker refused ${refused.length} message(s) to "${topic}": ${ack} ${[...new Set(refused)].join(', ')}`,
      )
    }
    const missing = unacknowledged + (stopped() ? 0 : pending.size)
    if (missing) {
      const ack = cfg.qos === 2 ? 'PUBCOMP' : 'PUBACK'
      throw new CliError(
        EXIT.TIMEOUT,
        `no ${ack} for ${missing} message(s) within ${(cfg.client.messageTimeoutMs ?? 10_000) / 1000} s (-W)`,
      )
    }
  } finally {
    const properties = cfg.properties.disconnect
    await client.disconnect(properties && { properties })
    await watch?.done
  }
}
