/**
 * The flags of `mqtt pub` / `mqtt sub`, as node:util's parseArgs takes them, and which command
 * each one belongs to. mosquitto_pub / mosquitto_sub's letters, so that a command line copied
 * from their documentation works.
 */
interface Spec {
  readonly type: 'string' | 'boolean'
  readonly short?: string
  readonly multiple?: boolean
}

export const FLAGS = {
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  topic: { type: 'string', short: 't', multiple: true },
  message: { type: 'string', short: 'm', multiple: true },
  qos: { type: 'string', short: 'q' },
  retain: { type: 'boolean', short: 'r' },
  id: { type: 'string', short: 'i' },
  username: { type: 'string', short: 'u' },
  pw: { type: 'string', short: 'P' },
  keepalive: { type: 'string', short: 'k' },
  'disable-clean-session': { type: 'boolean', short: 'c' },
  verbose: { type: 'boolean', short: 'v' },
  count: { type: 'string', short: 'C' },
  'no-eol': { type: 'boolean', short: 'N' },
  'no-retained': { type: 'boolean', short: 'R' },
  format: { type: 'string', short: 'F' },
  timeout: { type: 'string', short: 'W' },
  'stdin-line': { type: 'boolean', short: 'l', multiple: true },
  'stdin-file': { type: 'boolean', short: 's', multiple: true },
  file: { type: 'string', short: 'f', multiple: true },
  'null-message': { type: 'boolean', short: 'n', multiple: true },
  repeat: { type: 'string' },
  'repeat-delay': { type: 'string' },
  url: { type: 'string', short: 'L' },
  'will-topic': { type: 'string' },
  'will-payload': { type: 'string' },
  'will-qos': { type: 'string' },
  'will-retain': { type: 'boolean' },
  cafile: { type: 'string' },
  capath: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  insecure: { type: 'boolean' },
  'protocol-version': { type: 'string', short: 'V' },
  'session-expiry-interval': { type: 'string', short: 'x' },
  debug: { type: 'boolean', short: 'd' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const satisfies Record<string, Spec>

export type Flag = keyof typeof FLAGS

/** Flags that only one of the two commands takes. */
export const ONLY = {
  pub: ['message', 'retain', 'stdin-line', 'stdin-file', 'file', 'null-message', 'repeat', 'repeat-delay'],
  sub: ['verbose', 'count', 'no-eol', 'no-retained', 'format'],
} as const satisfies Record<'pub' | 'sub', Flag[]>

/** The flag's letter, if it has one. */
export const letterOf = (flag: Flag): string | undefined => (FLAGS[flag] as Spec).short

/** How a flag is written on the command line, for messages: `-m (--message)`, or `--repeat`. */
export function spelled(flag: Flag): string {
  const letter = letterOf(flag)
  return letter ? `-${letter} (--${flag})` : `--${flag}`
}

const BY_SHORT = new Map<string, Flag>()
for (const [name, spec] of Object.entries(FLAGS) as Array<[Flag, Spec]>) if (spec.short) BY_SHORT.set(spec.short, name)

// A name that is not a flag (a mosquitto flag this command lacks) takes nothing: parseArgs says it is unknown.
const takesValue = (flag: Flag | undefined): boolean =>
  flag !== undefined && (FLAGS as Record<string, Spec | undefined>)[flag]?.type === 'string'

/**
 * A command line word that the next word is the value of: `--message`, `-m`, or a group of known
 * boolean flags ending in one that takes a value (`-rm`), as with getopt. Anything else is left
 * for parseArgs to explain.
 */
function valueFlagOf(arg: string): { before: string; flag: Flag } | undefined {
  if (arg.startsWith('--') && !arg.includes('='))
    return takesValue(arg.slice(2) as Flag) ? { before: '', flag: arg.slice(2) as Flag } : undefined
  if (!/^-[a-zA-Z]+$/.test(arg)) return undefined
  const letters = arg.slice(1)
  const last = BY_SHORT.get(letters.at(-1) as string)
  const before = [...letters.slice(0, -1)].map((l) => BY_SHORT.get(l))
  return takesValue(last) && before.every((f) => f !== undefined && !takesValue(f))
    ? { before: letters.slice(0, -1), flag: last as Flag }
    : undefined
}

/** Whether the word after `arg` is its value (`-m -D`: "-D" is the message). */
export const takesNextWord = (arg: string): boolean => valueFlagOf(arg) !== undefined

/**
 * The command line with every value of a string flag attached to it (`-m -5` → `--message=-5`):
 * parseArgs refuses a value that starts with `-` as ambiguous, but mosquitto_pub, MQTT.js and
 * every shell user take the word after `-m` as the message, whatever it looks like. Groups of
 * short flags (`-rm hi`) work as with getopt: the last one may take the next word.
 */
export function attachValues(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const next = argv[i + 1]
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const valueFlag = next === undefined ? undefined : valueFlagOf(arg)
    if (valueFlag) {
      if (valueFlag.before) out.push(`-${valueFlag.before}`)
      out.push(`--${valueFlag.flag}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}
