/**
 * Runs in every test file (vitest setupFiles): a file that leaves a socket, a server, a timer or
 * a child process behind fails. Counts are compared with those before the file's tests ran, so
 * vitest's own handles do not count; closes that are already under way get a moment to finish.
 */
import { afterAll, beforeAll, expect } from 'vitest'

// stdio and the IPC channel to vitest are pipes the file does not own.
const IGNORED = new Set(['PipeWrap', 'TTYWrap', 'FSReqCallback', 'FSReqPromise', 'GetAddrInfoReqWrap'])

function count(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const type of process.getActiveResourcesInfo()) {
    if (!IGNORED.has(type)) counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  return counts
}

function leaks(baseline: Map<string, number>): string[] {
  const found: string[] = []
  for (const [type, n] of count()) {
    const extra = n - (baseline.get(type) ?? 0)
    if (extra > 0) found.push(`${extra} × ${type}`)
  }
  return found
}

let baseline = new Map<string, number>()

beforeAll(() => {
  baseline = count()
})

afterAll(async () => {
  const deadline = Date.now() + 2000
  let found = leaks(baseline)
  while (found.length && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setTimeout(resolve, 20))
    found = leaks(baseline)
  }
  expect(found, 'handles left open by this test file').toEqual([])
})
