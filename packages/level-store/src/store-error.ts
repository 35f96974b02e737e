/**
 * Every failure of a LevelStore as one MqttError (ESTORE) that names the store and says in words
 * what went wrong: the caller (a RobustClient's connect() or publish()) passes it on as it is, so
 * its message is what a user reads in a log. `cause` keeps the database's own error.
 */
import { MqttError } from '@x/errno'

type Action = 'open' | 'write to' | 'read' | 'close'

interface Coded {
  code?: unknown
  message?: unknown
  cause?: unknown
}

/** The errors of a chain, outermost first: level wraps the reason an open failed (LEVEL_DATABASE_NOT_OPEN → LEVEL_LOCKED). */
function chain(error: unknown): Coded[] {
  const errors: Coded[] = []
  for (let e = error; typeof e === 'object' && e !== null && errors.length < 8; e = (e as Coded).cause) errors.push(e as Coded)
  return errors
}

function reason(error: unknown): string {
  const errors = chain(error)
  const codes = new Set(errors.map((e) => e.code))
  const innermost = errors.at(-1)
  const detail = typeof innermost?.message === 'string' ? ` (${innermost.message})` : ''
  if (codes.has('LEVEL_LOCKED')) return `it is locked by another process: another program, or another LevelStore, has it open${detail}`
  if (codes.has('LEVEL_CORRUPTION')) return `it is corrupt${detail}`
  if (codes.has('EACCES') || codes.has('EPERM')) return `permission denied${detail}`
  if (codes.has('ENOTDIR') || codes.has('EEXIST')) return `the path is not a folder: a file is in the way${detail}`
  if (codes.has('LEVEL_IO_ERROR')) return `input/output error${detail}`
  if (codes.has('LEVEL_DATABASE_NOT_OPEN') && errors.length === 1) return 'it is not open (closed, or not opened yet)'
  return `${typeof innermost?.message === 'string' ? innermost.message : String(error)}`
}

/** Cannot {action} the store at {location}: {reason}. */
export function storeError(location: string, action: Action, error: unknown): MqttError {
  return new MqttError('ESTORE', `Cannot ${action} the store at ${location}: ${reason(error)}`, { cause: error })
}

/** A misuse found before the database is asked (so a batch with a bad op writes nothing). */
export function storeMisuse(location: string, action: Action, problem: string): MqttError {
  return new MqttError('ESTORE', `Cannot ${action} the store at ${location}: ${problem}`)
}
