/**
 * Command-line arguments of the examples, with node:util's parseArgs: the broker options every
 * example takes, plus its own. A mistake is a UsageError (the runner prints it with the usage
 * and exits with 2).
 */
import { parseArgs } from 'node:util'

/** A mistake on the command line. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Options every example takes: where the broker is and how to log in. */
export const brokerOptions = {
  url: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
  cafile: { type: 'string' },
  tls: { type: 'boolean' },
  help: { type: 'boolean' },
} as const

/** What the broker options parse to. */
export interface BrokerArgs {
  url?: string | undefined
  user?: string | undefined
  password?: string | undefined
  cafile?: string | undefined
  tls?: boolean | undefined
}

/** The lines of `--help` that describe the broker options. */
export const BROKER_USAGE = `Broker options:
  --url URL          broker to use (mqtt://host:port, mqtts://host:port, ws://host:port/mqtt; also env MQTT_URL).
                     Without it, an embedded broker is started on a free loopback port.
  --user NAME        user name
  --password TEXT    password
  --cafile FILE      trust the CA certificate in FILE (PEM); implies TLS
  --tls              use TLS (with the system's CAs unless --cafile)
  --help             show this text`

type OptionSpec = { type: 'string' | 'boolean'; short?: string; multiple?: false }

/** The values parseArgs gives for the broker options and `T`. */
export type ParsedArgs<T extends Record<string, OptionSpec>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof brokerOptions & T; strict: true; allowPositionals: false }>
>['values']

/** Parses `argv` with the broker options and `own`; unknown options and stray words are UsageErrors. */
export function parseExampleArgs<T extends Record<string, OptionSpec>>(argv: string[], own: T): ParsedArgs<T> {
  try {
    return parseArgs({ args: argv, options: { ...brokerOptions, ...own }, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** A whole number option, `fallback` when absent; a UsageError names the option when it is not one in [min, max]. */
export function intArg(value: string | undefined, name: string, fallback: number, min = 0, max = 1_000_000): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\s*-?\d+\s*$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`)
  }
  return n
}
