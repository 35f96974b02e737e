/**
 * `mqtt sub`: connect, subscribe to every -t, print each message (see format.ts), and stop after
 * -C messages, after -W seconds (exit code 27, as mosquitto_sub), on Ctrl-C, or when stdout is
 * closed (`| head -n 1`). A link lost after the first connection is not the end: @x/robust
 * reconnects with backoff and subscribes again, as mosquitto_sub does; -d says so.
 */
import { RobustClient } from '@x/robust'
import { inCliTerms } from './cli-terms.js'
import { debugOf } from './debug.js'
import { CliError, EXIT } from './exit-codes.js'
import type { Io } from './io.js'
import type { Config } from './options.js'

/** How the run ended: normally (0), or with the error to report. */
type End = { ok: true } | { ok: false; error: unknown }

export async function sub(cfg: Config, io: Io): Promise<void> {
  const debug = debugOf(cfg, io)
  const client = new RobustClient({
    ...cfg.client,
    // Several -h hosts: @x/robust tries them in order, and moves on after an outage.
    server: cfg.servers.length > 1 ? cfg.servers : cfg.client.server,
    ...(debug.transport && { transport: debug.transport }),
    cleanSession: cfg.cleanSession,
    ...(cfg.will && { will: cfg.will }),
  })
  const wanted = cfg.count
  let received = 0
  let finish!: (end: End) => void
  const ended = new Promise<End>((resolve) => (finish = resolve))
  let over = false
  const end = (how: End): void => {
    over = true
    finish(how)
  }

  client.on('message', (topic, payload, info) => {
    // MQTT 5: with the PUBLISH's properties (CONTRACT §6).
    const { qos, retained, properties } = info
    if (over || (retained && cfg.skipRetained)) return
    received++
    io.stdout.write(cfg.print({ topic, payload, qos, retained, properties }))
    if (wanted !== undefined && received >= wanted) end({ ok: true })
  })
  client.on('disconnect', (error) => debug(`lost the link: ${inCliTerms(error.message)}; reconnecting`))
  client.on('reconnecting', ({ attempt, delayMs }) => debug(`reconnecting (attempt ${attempt}, after ${delayMs} ms)`))
  // A reconnect the broker refuses (credentials changed, a subscription now refused): mosquitto_sub
  // ends there too, with the reason.
  client.on('error', (error) => end({ ok: false, error }))
  // `| head -n 1` closes the pipe after what it wanted: that is the end, not a failure.
  const onOutputError = (error: NodeJS.ErrnoException): void =>
    end(error.code === 'EPIPE' ? { ok: true } : { ok: false, error: new CliError(EXIT.ERROR, `cannot write the output: ${error.message}`) })
  io.stdout.on('error', onOutputError)
  const onAbort = (): void => end({ ok: true })
  io.signal?.addEventListener('abort', onAbort)

  let timer: NodeJS.Timeout | undefined
  try {
    // The first connection: what fails it is reported (broker down: 4, refused: 5, TLS: 6…), not
    // retried as robust would; the retrying is for links lost once up.
    const first = new AbortController()
    const giveUp = ({ error }: { error: unknown }): void => first.abort(error)
    client.once('reconnecting', giveUp)
    const stop = io.signal ? AbortSignal.any([first.signal, io.signal]) : first.signal
    try {
      await client.connect({ signal: stop })
    } catch (error) {
      if (io.signal?.aborted) return
      throw error
    } finally {
      client.off('reconnecting', giveUp)
    }
    // -W counts from here, as mosquitto_sub's does.
    if (cfg.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        const got = `${received}${wanted === undefined ? '' : ` of ${wanted}`} message${(wanted ?? received) === 1 ? '' : 's'}`
        end({ ok: false, error: new CliError(EXIT.TIMEOUT, `timed out after ${cfg.timeoutMs! / 1000} s (-W), received ${got}`) })
      }, cfg.timeoutMs)
    }
    for (const filter of cfg.topics) {
      const properties = cfg.properties.subscribe
      client.subscribe(filter, { qos: cfg.qos, ...(properties && { properties }) }).then(
        (granted) => debug(`subscribed to ${filter} (QoS ${granted} granted)`),
        (error: unknown) => end({ ok: false, error }),
      )
    }
    const how = await ended
    if (!how.ok) throw how.error
  } finally {
    clearTimeout(timer)
    io.signal?.removeEventListener('abort', onAbort)
    over = true
    await client.close()
    io.stdout.off('error', onOutputError)
  }
}
