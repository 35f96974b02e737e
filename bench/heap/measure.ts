/**
 * Runs a heap/ script in a child process of its own (a fresh heap, with --expose-gc) and returns
 * what it measured: the bytes of heap per idle connected client (idle-clients.ts), or the memory of
 * a publishing client (publishing-client.ts).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The name publishing-client.ts knows @x/robust with a LevelStore by. */
export const DURABLE = '@x/robust with a LevelStore'

async function child(script: string, args: string[]): Promise<unknown> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 120_000,
    },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) as string)
}

export async function idleHeap(library: string, url: string): Promise<number> {
  return ((await child('./idle-clients.ts', [library, url])) as { bytesPerClient: number }).bytesPerClient
}

/** Bytes, each as growth over the child process before it connected. */
export interface PublishingMemory {
  /** Highest heap used while connecting and publishing, garbage included. */
  peakHeap: number
  /** Heap used after the last acknowledgement and a gc, still connected. */
  heapAfter: number
  /** Highest resident set size: native memory (LevelDB's) shows here only. */
  peakRss: number
  /** How many times memory was sampled during the run. */
  samples: number
}

/** A publisher of `library` (or `@x/robust with a LevelStore`) sending `messages` QoS 1 messages of 64 B, 100 outstanding. */
export async function publishingMemory(library: string, url: string, messages = 20_000): Promise<PublishingMemory> {
  return (await child('./publishing-client.ts', [library, url, String(messages)])) as PublishingMemory
}
