/** Small statistics for benchmark runs: medians and percentiles of samples. */

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

export const median = (samples: number[]): number => percentile(samples, 50)

/** Runs `fn` `runs` times (after one warm-up run) and returns the samples it measured. */
export async function repeat(runs: number, fn: () => Promise<number>): Promise<number[]> {
  await fn()
  const samples: number[] = []
  for (let i = 0; i < runs; i++) samples.push(await fn())
  return samples
}
