/**
 * `mqtt sub`: connect, subscribe to every -t, print each message (its topic first with -v),
 * and stop after -C messages, after -W seconds (exit code 27, as mosquitto_sub), or on Ctrl-C.
 */
import { MqttClient, MqttError, SDELIVERED, SREFUSED, STIMEOUT } from '@x/simple'
import { CliError, EXIT } from './exit-codes.js'
import type { Io } from './io.js'
import type { Config } from './options.js'

const NEWLINE = Buffer.from('\n')

export async function sub(cfg: Config, io: Io): Promise<void> {
  const debug = (line: string): void => void (cfg.debug && io.stderr.write(`${line}\n`))
  const client = new MqttClient(cfg.client)
  const wanted = cfg.count
  let received = 0
  let stopped = false
  const done = (): boolean => stopped || (wanted !== undefined && received >= wanted)

  client.setCallback((topic, payload) => {
    if (done()) return // -C reached: the rest of this batch is not printed
    received++
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.length)
    // mosquitto_sub prints an empty message as "(null)" after the topic.
    const line = cfg.verbose ? [Buffer.from(`${topic} `), payload.length ? text : Buffer.from('(null)'), NEWLINE] : [text, NEWLINE]
    io.stdout.write(Buffer.concat(line))
  })

  // SUBACK: a status with the granted QoS, or a refusal or timeout.
  const subscribing = new Map<number, string>()
  let problem: Error | undefined
  client.setCallbackStatus((pid, status, granted) => {
    const filter = subscribing.get(pid)
    if (filter === undefined) return
    subscribing.delete(pid)
    if (status === SDELIVERED) debug(`subscribed to ${filter} (QoS ${granted} granted)`)
    else if (status === SREFUSED) {
      problem ??= new MqttError('ESUBACKFAIL', `the broker refused the subscription to "${filter}" (SUBACK 0x80)`, { topic: filter, pid })
    } else if (status === STIMEOUT) problem ??= new CliError(EXIT.TIMEOUT, `no SUBACK for "${filter}" in time`)
  })

  // Ctrl-C: disconnect, which also ends the waitMsg() under way.
  const stop = (): void => {
    stopped = true
    void client.disconnect()
  }
  io.signal?.addEventListener('abort', stop)
  try {
    await client.connect()
    debug(`connected to ${cfg.where} as ${cfg.client.clientId}`)
    // -W counts from here, as mosquitto_sub's does.
    const deadline = cfg.timeoutMs === undefined ? Infinity : Date.now() + cfg.timeoutMs
    for (const filter of cfg.topics) subscribing.set(await client.subscribe(filter, { qos: cfg.qos }), filter)
    while (!done()) {
      if (problem) throw problem
      const left = deadline - Date.now()
      if (left <= 0) {
        const got = `${received}${wanted === undefined ? '' : ` of ${wanted}`} message${(wanted ?? received) === 1 ? '' : 's'}`
        throw new CliError(EXIT.TIMEOUT, `timed out after ${(cfg.timeoutMs ?? 0) / 1000} s (-W), received ${got}`)
      }
      try {
        // Without -W, no deadline: a dead link still ends the wait (keepalive, -k).
        await client.waitMsg(left === Infinity ? undefined : left)
      } catch (error) {
        if (stopped) break
        throw error
      }
    }
  } finally {
    io.signal?.removeEventListener('abort', stop)
    await client.disconnect()
  }
}
