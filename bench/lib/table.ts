/**
 * The one table `pnpm bench` prints: per measure, the reference library's median (min–max), each
 * other library's ratio to it with its own median (min–max), and the ceiling where there is one.
 * Ratios read the same way everywhere: above 1× is better for the library in that column.
 */
import { median } from './stats.js'

export interface Row {
  measure: string
  unit: string
  /** Throughput (higher is better) or a cost such as bytes (lower is better). */
  higherIsBetter: boolean
  /** The samples of each library, by name. */
  samples: Map<string, number[]>
}

/** Bytes in the unit that suits `scale` (a row's median), so that a median and its min–max share one unit. */
function bytes(n: number, scale: number): [string, string] {
  if (Math.abs(scale) >= 1024 * 1024) return [(n / 1024 / 1024).toFixed(1), 'MiB']
  if (Math.abs(scale) >= 1024) return [(n / 1024).toFixed(1), 'KiB']
  return [Math.round(n).toString(), 'B']
}

function human(n: number, unit: string): string {
  if (unit === 'B') return bytes(n, n).join(' ')
  // CPU per message runs from about 1 to 1,000 µs: three digits are what can be told apart.
  if (unit === 'µs') return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)
  if (n >= 10_000) return `${(n / 1000).toFixed(0)}k`
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`
  return n.toFixed(0)
}

/** `median (min–max) unit` of some samples. */
function spread(samples: number[], unit: string): string {
  const m = median(samples)
  if (samples.length < 2) return `${human(m, unit)}${unit === 'B' ? '' : ` ${unit}`}`
  const [min, max] = [Math.min(...samples), Math.max(...samples)]
  if (unit === 'B') {
    const [[mid, shown], [low], [high]] = [bytes(m, m), bytes(min, m), bytes(max, m)]
    return `${mid} (${low}–${high}) ${shown}`
  }
  return `${human(m, unit)} (${human(min, unit)}–${human(max, unit)}) ${unit}`
}

/** The table: `reference` first, each of `others` as its ratio to it, then `ceiling`'s column where one is named. */
export function formatTable(rows: Row[], reference: string, others: string[], ceiling?: string): string {
  const header = ['measure', reference, ...others, ...(ceiling ? [`reference (${ceiling})`] : [])]
  const lines: string[][] = [header]
  for (const row of rows) {
    const ref = row.samples.get(reference)
    const refMedian = ref ? median(ref) : NaN
    const cells = [row.measure, ref ? spread(ref, row.unit) : '–']
    for (const name of others) {
      const s = row.samples.get(name)
      if (!s) {
        cells.push('–')
        continue
      }
      const ratio = row.higherIsBetter ? median(s) / refMedian : refMedian / median(s)
      cells.push(`${ratio.toFixed(2)}×  ${spread(s, row.unit)}`)
    }
    if (ceiling) {
      const c = row.samples.get(ceiling)
      cells.push(c ? spread(c, row.unit) : '–')
    }
    lines.push(cells)
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)))
  return lines
    .map((l) =>
      l
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}
