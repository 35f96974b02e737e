/**
 * Outages on a schedule, for fault tests: every few hundred milliseconds the proxy either cuts
 * every connection (a reset, like a NAT timeout or a crashed access point) or black-holes the
 * link for a while (a half-open connection: nothing crosses, no FIN, no reset), then lets it
 * pass again. Bounded in count and in time; `stop()` ends it and restores the link.
 */
import type { FaultProxy } from './fault-proxy.js'
import { sleep } from './wait.js'

export type OutageKind = 'cut' | 'blackhole'

export interface ChaosOptions {
  /** Pause between outages, drawn at random from this range. @default [200, 400] */
  everyMs?: [number, number]
  /** How long a black hole lasts. @default 700 */
  blackholeMs?: number
  /** The kinds to alternate. @default ['cut', 'blackhole'] */
  kinds?: OutageKind[]
  /** Most outages. @default 200 */
  maxOutages?: number
  /** Longest run. @default 120000 */
  maxMs?: number
}

export interface Chaos {
  /** Outages caused so far, by kind. */
  readonly outages: Record<OutageKind, number>
  readonly total: number
  /** Stops after the current step and restores the link; resolves when it has. */
  stop(): Promise<void>
}

export function startChaos(proxy: FaultProxy, options: ChaosOptions = {}): Chaos {
  const { everyMs = [200, 400], blackholeMs = 700, kinds = ['cut', 'blackhole'], maxOutages = 200, maxMs = 120_000 } = options
  const outages: Record<OutageKind, number> = { cut: 0, blackhole: 0 }
  let stopped = false
  const until = Date.now() + maxMs
  const run = (async () => {
    for (let n = 0; n < maxOutages && !stopped && Date.now() < until; n++) {
      await sleep(everyMs[0] + Math.random() * (everyMs[1] - everyMs[0]))
      if (stopped) break
      const kind = kinds[n % kinds.length] as OutageKind
      outages[kind]++
      if (kind === 'cut') {
        proxy.cut()
        continue
      }
      proxy.blackhole()
      await sleep(blackholeMs)
      // Lose what the dead link swallowed, as a real dead path would, then let traffic through.
      proxy.cut()
      proxy.pass()
    }
  })()
  return {
    outages,
    get total() {
      return outages.cut + outages.blackhole
    },
    stop: async () => {
      stopped = true
      await run
      proxy.pass()
    },
  }
}
