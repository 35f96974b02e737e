/**
 * -V (the MQTT version) and -x (the session expiry interval, MQTT 5), as mosquitto_pub and
 * mosquitto_sub take them.
 */
import { usage } from './usage.js'

export type ProtocolVersion = 4 | 5

/** A session that never expires: -x -1, ∞ or 4294967295, and -c's default on MQTT 5. */
export const NEVER_EXPIRES = 0xffff_ffff

/**
 * -V 5 / mqttv5 or 311 / mqttv311 (the default). -D alone chooses MQTT 5, as with mosquitto
 * ("the client will be set to be an MQTT v5 client"), but -D with an explicit -V 311 is a
 * contradiction mosquitto passes over in silence (it speaks 5 anyway): refused here.
 */
export function protocolVersionOf(value: string | undefined, withProperties: boolean): ProtocolVersion {
  if (value === undefined) return withProperties ? 5 : 4
  if (/^(mqttv)?5$/.test(value)) return 5
  if (/^(mqttv)?31$/.test(value)) throw usage(`-V ${value}: MQTT 3.1 is not supported; mqtt speaks MQTT 3.1.1 (-V 311) and MQTT 5 (-V 5)`)
  if (!/^(mqttv)?311$/.test(value))
    throw usage(`-V ${JSON.stringify(value)} is not a version: -V 311 (mqttv311, the default) or -V 5 (mqttv5)`)
  if (withProperties) throw usage(`-D sets MQTT 5 properties, and -V ${value} asks for MQTT 3.1.1, which has none: use -V 5`)
  return 4
}

/** -x SECONDS: 0 to 4294967294, or -1, ∞ or 4294967295 for a session that never expires; only on MQTT 5. */
export function sessionExpiryOf(value: string | undefined, version: ProtocolVersion): number | undefined {
  if (value === undefined) return undefined
  if (version !== 5)
    throw usage('-x (session expiry interval) is MQTT 5: add -V 5 (on MQTT 3.1.1, -c with -i ID keeps the session with no expiry)')
  if (value === '-1' || value === '∞') return NEVER_EXPIRES
  if (!/^\d+$/.test(value) || Number(value) > NEVER_EXPIRES)
    throw usage(`-x needs seconds from 0 to 4294967294, or -1 (never expires), not ${JSON.stringify(value)}`)
  return Number(value)
}
