/**
 * Runs heap/idle-clients.ts in a child process of its own (a fresh heap, with --expose-gc) and
 * returns the bytes of heap per idle connected client it measured.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export async function idleHeap(library: string, url: string): Promise<number> {
  const script = fileURLToPath(new URL('./idle-clients.ts', import.meta.url))
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', script, library, url], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    timeout: 120_000,
  })
  return (JSON.parse(stdout.trim().split('\n').at(-1) as string) as { bytesPerClient: number }).bytesPerClient
}
