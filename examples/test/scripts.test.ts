/**
 * Every example as a user starts it: its pnpm script, from the repository root, in a child
 * process on the embedded broker; it must end by itself with exit code 0. And the exit codes
 * of a failed run (1) and of a bad command line (2).
 */
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { makeCerts } from '../lib/certs.js'
import { startEmbeddedBroker } from '../lib/embedded-broker.js'
import { run } from '@x/test-support/processes.js'
import { closedPort } from './output.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const EXAMPLES = fileURLToPath(new URL('..', import.meta.url))
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url))

const env = { ...process.env, MQTT_URL: '' }

test('each pnpm script runs its example offline and ends by itself', async () => {
  // Small counts and intervals: the defaults are made for reading, not for CI.
  const scripts: Array<[string, string[], RegExp]> = [
    ['tls-cloud-broker', ['--count', '2', '--interval', '50'], /All 2 messages came back\./],
    ['living-room-light', ['--count', '3', '--interval', '100', '--retry-delay', '50'], /Published 3 statuses \(1 reconnect\)/],
    ['remote-light-switch', ['--step', '50'], /Done\. Lights on: none\./],
    [
      'led-remote',
      ['--ticks', '3', '--interval', '100'],
      /^ {3}3 {2}blue {2}button DOWN  LED \( \) off {3}\| {3}green button up {4}LED \(\*\) ON$/m,
    ],
    ['self-test', [], /8 passed, 0 failed/],
    ['flaky-link', ['--count', '5', '--down-at', '2', '--interval', '100', '--outage', '300'], /5\/5 readings arrived/],
    ['flaky-cluster', ['--count', '5', '--down-at', '2', '--interval', '100'], /5\/5 readings arrived/],
    ['demo', ['--interval', '50'], /^Done\./m],
  ]
  const results = await Promise.all(
    scripts.map(([name, args]) => run('pnpm', ['--filter', '@x/examples', 'run', name, ...args], { cwd: ROOT, env, timeoutMs: 45_000 })),
  )
  for (const [i, [name, , expected]] of scripts.entries()) {
    const result = results[i]
    expect(result?.code, `${name}: ${result?.stderr}`).toBe(0)
    expect(result?.stdout, name).toMatch(expected)
  }
}, 60_000)

test('a failed run exits 1 with what failed; a bad option exits 2 with the usage', async () => {
  const port = await closedPort()
  const failed = await run(TSX, ['self-test.ts', '--url', `mqtt://127.0.0.1:${port}`, '--only', 'connect'], { cwd: EXAMPLES, env })
  expect(failed.code).toBe(1)
  expect(failed.stdout).toMatch(/connect \/ disconnect +FAIL .*ECONNREFUSED/)
  expect(failed.stderr).toBe('FAILED: failed: connect\n')

  const refused = await run(TSX, ['tls-cloud-broker.ts', '--url', `mqtt://127.0.0.1:${port}`], { cwd: EXAMPLES, env })
  expect(refused.code).toBe(1)
  expect(refused.stderr).toMatch(/^FAILED: Cannot connect to 127\.0\.0\.1:\d+: .*\(errno 71, ECONNREFUSED\)$/m)

  const usage = await run(TSX, ['led-remote.ts', '--tick', '3'], { cwd: EXAMPLES, env })
  expect(usage.code).toBe(2)
  expect(usage.stderr).toMatch(/^Unknown option '--tick'[\s\S]*Usage: pnpm -s --filter @x\/examples run led-remote/)
}, 30_000)

test('--url and a relative --cafile through pnpm: the path is taken from where pnpm was started', async () => {
  const certs = makeCerts()
  const broker = await startEmbeddedBroker({ tls: certs.server })
  try {
    const cafile = relative(ROOT, certs.caFile) // e.g. ../../tmp/x-mqtt-certs-…/ca.crt
    const args = ['--url', broker.url, '--cafile', cafile, '--count', '1']
    const result = await run('pnpm', ['-s', '--filter', '@x/examples', 'run', 'tls-cloud-broker', ...args], {
      cwd: ROOT,
      env,
      timeoutMs: 30_000,
    })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`(TLS, trusting ${certs.caFile})`)
    expect(result.stdout).toContain('All 1 message came back.')
  } finally {
    await broker.close()
    certs.remove()
  }
}, 40_000)

test('through pnpm -s, as the README gives it, a bad option prints the usage alone (no pnpm error mixed in) and exits 2', async () => {
  const result = await run('pnpm', ['-s', '--filter', '@x/examples', 'run', 'led-remote', '--tick', '3'], {
    cwd: ROOT,
    env,
    timeoutMs: 30_000,
  })
  expect(result.code).toBe(2)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(/^Unknown option '--tick'\n\nUsage: pnpm -s --filter @x\/examples run led-remote/)
  expect(result.stderr).not.toMatch(/ERR_PNPM|Command failed/)
}, 40_000)
