/**
 * MQTT 5 reason codes as the CLI prints them: a refusal says "0x87 not authorized", not a bare
 * number the user has to look up. The words come from the codec's table (MQTT 5.0 §2.4); only
 * the layout (number first, then the broker's reason string) is the CLI's own.
 */
import { reasonWords } from '@x/simple/codec'

const hex = (code: number): string => `0x${code.toString(16).padStart(2, '0')}`

/** `0x87 not authorized`; with the broker's reason string when it sent one: `0x87 not authorized ("no ACL")`. */
export function reasonText(code: number, reasonString?: string): string {
  return `${hex(code)} ${reasonWords(code)}${reasonString ? ` (${JSON.stringify(reasonString)})` : ''}`
}
