/** Small statistics for benchmark runs: the median (and any percentile) of samples. */

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

export const median = (samples: number[]): number => percentile(samples, 50)
