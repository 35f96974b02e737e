/**
 * Topics of one run. On the embedded broker the tutorial's topics are used as they are; on a
 * shared broker such as test.mosquitto.org anyone may publish to them, so the example puts its
 * topics under a prefix of its own (as seed 001 does with its UUID).
 */
import { randomBytes } from 'node:crypto'
import type { Broker } from './broker.js'
import type { Print } from './main.js'

/** `--prefix` when given; '' on the embedded broker; a random `x-mqtt-1a2b3c/` elsewhere. */
export function topicPrefix(given: string | undefined, broker: Broker, print: Print): string {
  if (given !== undefined) return given
  if (broker.embedded) return ''
  const prefix = `x-mqtt-${randomBytes(3).toString('hex')}/`
  print(`topics under "${prefix}" so that other users of this broker do not get in the way (change with --prefix)`)
  return prefix
}
