/**
 * Finds an installed program by name: on PATH, then in the sbin folders where mosquitto lives and
 * which a non-root PATH often lacks. Plain Node ESM, shared by scripts/ensure-test-programs.mjs (which
 * runs before anything is installed) and the tests' mosquitto harness.
 */
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/opt/homebrew/sbin', '/usr/local/opt/mosquitto/sbin']

/** The path of an executable, or undefined. */
export function findProgram(name) {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS]) {
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch {
      // not in this folder
    }
  }
  return undefined
}
