/**
 * examples/README.md word for word: every command it gives for running offline, run exactly as
 * written (through bash, from the repository root, with `npx -y pnpm@10` as a fresh machine has
 * it), must end by itself with exit code 0. Left out, and why: lines with a placeholder
 * (`<example>`); commands against test.mosquitto.org (no internet here; the offline run of each
 * example covers the same code); `install`, which has run before this suite (again, it would
 * rewrite node_modules under the tests running beside it); the test commands, which run this
 * very file; and a server that runs until Ctrl-C (web-light, run and stopped by test/browser.test.ts).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { run } from '@x/test-support/processes.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

/** The commands of the README: lines of its ```sh blocks (comments cut), and `npx …` in backticks. */
function commandsOf(text: string): string[] {
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] as string).split('\n'))
  const inline = [...text.matchAll(/`(npx [^`]+)`/g)].map((m) => m[1] as string)
  // A server that runs until Ctrl-C (web-light) cannot end by itself: test/browser.test.ts runs it, and stops it as Ctrl-C does.
  const ending = [...blocks, ...inline].filter((line) => !/#.*until Ctrl-C/.test(line))
  return ending.map((line) => line.replace(/\s+#.*$/, '').trim()).filter(Boolean)
}

const all = commandsOf(readme)
const offline = [
  ...new Set(
    all.filter((c) => !c.includes('<') && !c.includes('test.mosquitto.org') && !/ install$/.test(c) && !/( test$|vitest)/.test(c)),
  ),
]

test('the README gives commands for every example, offline and online, each with pnpm -s (no pnpm error mixed into theirs)', () => {
  expect(offline).toEqual(expect.arrayContaining(['npx -y pnpm@10 -s demo', 'npx -y pnpm@10 -s mqtt --help']))
  for (const command of all.filter((c) => c.startsWith('npx -y pnpm@10 ') && !/ (install|test)$/.test(c))) {
    expect(command).toMatch(/^npx -y pnpm@10 -s /)
  }
  const examples = [...readme.matchAll(/^\| \[`([a-z-]+)\.ts`\]/gm)].map((m) => m[1] as string)
  expect(examples.length).toBeGreaterThanOrEqual(6)
  for (const name of examples.filter((e) => e !== 'demo')) {
    expect(offline, name).toContain(`npx -y pnpm@10 -s --filter @x/examples run ${name}`)
    expect(
      all.some((c) => c.includes(`run ${name} --url`) && c.includes('test.mosquitto.org')),
      name,
    ).toBe(true)
  }
})

test('every offline command runs as written and ends by itself with 0', async () => {
  const env = { ...process.env, MQTT_URL: '' }
  const results = await Promise.all(offline.map((command) => run('bash', ['-c', command], { cwd: ROOT, env, timeoutMs: 60_000 })))
  for (const [i, command] of offline.entries()) {
    expect(results[i]?.code, `${command}\n${results[i]?.stderr}`).toBe(0)
  }
}, 90_000)
