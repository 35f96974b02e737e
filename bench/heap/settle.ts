/** What a heap/ child process measures from: memory after garbage is collected and the event loop has run. */

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc')

/** Collects garbage a few times, letting timers and I/O run between, then reads the memory. */
export async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 5; i++) {
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return process.memoryUsage()
}
