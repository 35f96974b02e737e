/** What the commands read from and write to: the process's, or streams a test provides. */
import type { Readable, Writable } from 'node:stream'

export interface Io {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** The folder relative file names (-f, --cafile, --cert, --key) are taken from. */
  cwd: string
  /** Aborted on Ctrl-C: sub stops and exits 0; pub stops reading stdin. */
  signal?: AbortSignal
}
