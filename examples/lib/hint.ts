/**
 * The commands an example prints for you to copy: this repository's `mqtt` command (packages/cli),
 * run from the repository root, for the broker in use — its host, port, TLS, CA file and user — so
 * that a pasted line reaches the same broker as the example. The repository's own command rather
 * than mosquitto_sub/mosquitto_pub: it is there after `pnpm install`, on any system, and takes the
 * same flags (so the line works with mosquitto's tools too, once the `npx … mqtt sub` is swapped).
 *
 * The password is never printed, not even back to the user who typed it: a terminal's output ends
 * up in scroll-back, screen shares and pasted bug reports. `-P '<password>'` stands in its place.
 */
import type { Broker } from './broker.js'

const MQTT_COMMAND = 'npx -y pnpm@10 -s mqtt'

/** A word for bash: as it is when it is plain, else in single quotes. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * `npx -y pnpm@10 -s mqtt sub|pub -L mqtt://host:port/topic [-u USER -P '<password>'] [--cafile FILE] …`
 * for `broker`, or `undefined` when the broker is reached over WebSocket (the `mqtt` command speaks
 * MQTT over TCP only).
 */
export function mqttCommand(broker: Broker, verb: 'sub' | 'pub', topic: string, rest: string[] = []): string | undefined {
  const url = new URL(broker.url)
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return undefined
  // The library's defaults for a URL without a port: 1883, or 8883 with TLS (--tls or --cafile too).
  const port = url.port || (broker.tls ? '8883' : '1883')
  // The topic in -L is %-decoded by the command: a literal % must go as %25.
  const target = `${broker.tls ? 'mqtts' : 'mqtt'}://${url.hostname}:${port}/${topic.replace(/%/g, '%25')}`
  const user = broker.options.user ?? (url.username ? decodeURIComponent(url.username) : undefined)
  const hasPassword = broker.options.password !== undefined || new URL(String(broker.options.server)).password !== ''
  const words = [MQTT_COMMAND, verb, '-L', shellWord(target)]
  if (user !== undefined) words.push('-u', shellWord(user))
  if (hasPassword) words.push('-P', `'<password>'`)
  if (broker.caFile) words.push('--cafile', shellWord(broker.caFile))
  return [...words, ...rest].join(' ')
}
