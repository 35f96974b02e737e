/**
 * -D (--property) `command identifier value`, as mosquitto_pub and mosquitto_sub take it: the
 * MQTT 5 properties of the CONNECT, the PUBLISH, the will, the SUBSCRIBE and the DISCONNECT,
 * named in mosquitto's spelling (the standard's name with '-' between words) and turned into the
 * camelCase properties of @x/simple. Which identifier a packet may carry, and how its value
 * travels, is @x/simple's own table of properties (the standard's §2.2.2.2): one truth.
 */
import { PROPERTIES } from '@x/simple/codec'
import type { Command } from './options.js'
import { usage } from './usage.js'

/** The packets whose properties -D sets ('will': the will's properties in the CONNECT). */
export type PropertyCommand = 'connect' | 'publish' | 'will' | 'subscribe' | 'disconnect'

/** What -D gave, by packet: camelCase name → value, as @x/simple's options take them. */
export type PropertySets = Partial<Record<PropertyCommand, Record<string, unknown>>>

/** The words of one -D: command, identifier, value (user-property: name and value). */
export type PropertyWords = readonly string[]

/** The packets each command sends, so the ones it takes -D for (mosquitto's lists, man pages; no -U, so no UNSUBSCRIBE). */
const TAKES: Record<Command, readonly PropertyCommand[]> = {
  pub: ['connect', 'publish', 'will', 'disconnect'],
  // Not DISCONNECT: sub ends through @x/robust's close(), which sends a DISCONNECT without properties.
  sub: ['connect', 'subscribe', 'will'],
}

/** Every packet name mosquitto knows for -D: a known one this command does not send gets its own message. */
const MQTT_COMMANDS = new Set(
  'connect connack publish puback pubrec pubrel pubcomp subscribe suback unsubscribe unsuback pingreq pingresp disconnect auth will'.split(
    ' ',
  ),
)

/**
 * What a client may not send even where the table allows the property in that packet:
 * a Subscription Identifier in a PUBLISH [MQTT-3.3.4-6], a Server Reference in a DISCONNECT
 * (the server's redirect, MQTT 5.0 §3.14.2.2.5).
 */
const NOT_FROM_A_CLIENT: Partial<Record<PropertyCommand, readonly string[]>> = {
  publish: ['subscriptionIdentifier'],
  disconnect: ['serverReference'],
}

type Row = (typeof PROPERTIES)[number]

/** mosquitto's spelling of a property: payloadFormatIndicator → payload-format-indicator. */
export const spellingOf = (name: string): string =>
  name === 'userProperties' ? 'user-property' : name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)

const ROW_BY_SPELLING = new Map<string, Row>(PROPERTIES.map((row) => [spellingOf(row.name), row]))

const MAX: Partial<Record<Row['type'], number>> = { byte: 255, u16: 65_535, u32: 4_294_967_295, varint: 268_435_455 }

/** The identifiers -D takes for `packet`, in mosquitto's spelling. */
export function identifiersFor(packet: PropertyCommand): string[] {
  return PROPERTIES.filter((row) => (row.in as readonly string[]).includes(packet) && !NOT_FROM_A_CLIENT[packet]?.includes(row.name)).map(
    (row) => spellingOf(row.name),
  )
}

/** How many words follow -D: command, identifier and one value, or two for user-property. */
export const wordsAfter = (identifier: string | undefined): number => (identifier?.toLowerCase() === 'user-property' ? 4 : 3)

/** One value, read as the property's type and checked against the standard's rules for it. */
function valueOf(row: Row, spelled: string, text: string): unknown {
  const wrong = (needs: string): never => {
    throw usage(`-D ${spelled}: ${needs}, not ${JSON.stringify(text)}`)
  }
  let value: unknown
  const max = MAX[row.type]
  if (row.type === 'flag') value = text === '1' ? true : text === '0' ? false : wrong('0 or 1 is needed')
  else if (max !== undefined)
    value = /^\d+$/.test(text) && Number(text) <= max ? Number(text) : wrong(`a whole number from 0 to ${max} is needed`)
  else if (row.type === 'binary')
    value = new TextEncoder().encode(text) // mosquitto too: the word's bytes
  else value = text
  const problem = 'check' in row ? row.check(value as never) : undefined
  if (problem) throw usage(`-D ${spelled}: ${problem}`)
  return value
}

/** The properties of every -D, by packet; a command, identifier or value mosquitto would refuse is a usage error. */
export function propertiesOf(command: Command, all: readonly PropertyWords[]): PropertySets {
  const sets: PropertySets = {}
  for (const words of all) {
    const [packetWord = '', identifierWord = '', ...values] = words
    const packet = packetWord.toLowerCase()
    const identifier = identifierWord.toLowerCase()
    const takes = TAKES[command]
    if (!takes.includes(packet as PropertyCommand)) {
      const known = `mqtt ${command} takes -D for ${takes.join(', ')}`
      throw usage(
        MQTT_COMMANDS.has(packet)
          ? `-D ${packetWord}: mqtt ${command} sets no properties on ${packet === 'will' ? 'a will' : packet.toUpperCase()}; ${known}`
          : `-D ${JSON.stringify(packetWord)} is not a command; ${known}`,
      )
    }
    const into = packet as PropertyCommand
    const row = ROW_BY_SPELLING.get(identifier)
    const allowed = identifiersFor(into)
    if (!row) throw usage(`-D ${packet} ${JSON.stringify(identifierWord)} is not a property; ${packet} takes ${allowed.join(', ')}`)
    if (!allowed.includes(identifier))
      throw usage(`-D ${packet} ${identifier}: not allowed for ${packet}, which takes ${allowed.join(', ')}`)
    const set = (sets[into] ??= {})
    const spelled = `${packet} ${identifier}`
    if (row.type === 'pair') {
      const [name, value] = values as [string, string]
      const users = (set['userProperties'] ??= {}) as Record<string, string | string[]>
      const before = users[name]
      // A name given again keeps every value, in order, as @x/simple's userProperties do.
      users[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value]
      continue
    }
    if (row.name in set) throw usage(`-D ${spelled} is given twice; the standard allows it once per packet`)
    set[row.name] = valueOf(row, spelled, values[0] as string)
  }
  return sets
}

/**
 * Takes every -D (or --property) and its words out of the command line, for node:util's
 * parseArgs, which knows no flag with several values. A word that is the value of another flag
 * (`-m -D`) stays where it is; `--` ends the flags.
 */
export function takePropertyWords(
  argv: readonly string[],
  takesNextWord: (arg: string) => boolean,
): { rest: string[]; properties: PropertyWords[] } {
  const rest: string[] = []
  const properties: PropertyWords[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      rest.push(...argv.slice(i))
      break
    }
    if (arg === '-D' || arg === '--property') {
      const n = wordsAfter(argv[i + 2])
      const words = argv.slice(i + 1, i + 1 + n)
      if (words.length < n)
        throw usage(
          `${arg} needs a command, an identifier and a value (user-property: a name and a value), e.g. -D publish content-type text/plain`,
        )
      properties.push(words)
      i += n
    } else if (takesNextWord(arg) && i + 1 < argv.length) {
      rest.push(arg, argv[i + 1] as string)
      i++
    } else rest.push(arg)
  }
  return { rest, properties }
}
