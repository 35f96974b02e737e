import { CliError, EXIT } from './exit-codes.js'

/** A mistake on the command line: exit code 2, with a pointer to the help. */
export const usage = (message: string): CliError => new CliError(EXIT.USAGE, `${message}\nSee mqtt --help.`)

/** A whole number from `min` to `max` given to `flag`, or `undefined` when it was not given. */
export function whole(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw usage(`${flag} needs a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`)
  }
  return Number(value)
}

/** Seconds given to `flag`, fractions allowed (`0.5`), as milliseconds. */
export function seconds(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > max) {
    throw usage(`${flag} needs a number of seconds from 0 to ${max} (such as 0.5), not ${JSON.stringify(value)}`)
  }
  return Math.round(Number(value) * 1000)
}
