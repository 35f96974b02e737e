/**
 * What the READMEs tell a newcomer to type names something that exists today: no install of an
 * @x package from the npm registry (nothing is published) unless the paragraph says "once
 * published" (or that the registry answers 404), the packed tarballs at the packages' current
 * versions, every `pnpm <script>` a script of the root package.json, and the line `pnpm test`
 * prints before the type-check.
 */
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)

/** Every README.md of the repository, node_modules aside. */
function readmes(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return []
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return readmes(path)
    return entry.name === 'README.md' ? [path] : []
  })
}

const paragraphs = (file: string): string[] => readFileSync(file, 'utf8').split(/\n\s*\n/)
const rootScripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8')) as { version: string }).version

test('the READMEs are found', () => {
  expect(readmes().map((file) => relative(ROOT, file))).toEqual(
    expect.arrayContaining(['README.md', 'packages/cli/README.md', 'packages/simple/README.md', 'packages/robust/README.md']),
  )
})

test('no README installs an @x package from the registry, except where it says "once published" or that the registry answers 404', () => {
  const registryInstall = /(npm (install|i|add)|npx|pnpm (add|dlx)|yarn (global )?add)( -[gy]| --global)* @x\//
  const untrue = readmes().flatMap((file) =>
    paragraphs(file)
      .filter((paragraph) => registryInstall.test(paragraph) && !/once (it is |the package is )?published|answers 404/i.test(paragraph))
      .map((paragraph) => `${relative(ROOT, file)}: ${paragraph.split('\n').find((line) => registryInstall.test(line))}`),
  )
  expect(untrue).toEqual([])
})

test('every packed tarball a README names is one pack:all makes: its package at its current version', () => {
  const named = readmes().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/packed\/x-([a-z]+)-(\d+\.\d+\.\d+)\.tgz/g)].map(([, name, version]) => ({
      file: relative(ROOT, file),
      name: name as string,
      version,
    })),
  )
  expect(named.length).toBeGreaterThan(0)
  for (const { file, name, version } of named) expect(version, `${file}: x-${name}`).toBe(versionOf(name))
})

test('every `npx -y pnpm@10 <script>` in a README is a script of the root package.json', () => {
  const builtins = new Set(['install', 'i', 'run', 'exec', 'add'])
  const commands = readmes().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/npx -y pnpm@10((?: -s| --silent)*) (\w[\w:-]*)/g)].map(([, , script]) => ({
      file: relative(ROOT, file),
      script: script as string,
    })),
  )
  expect(commands.map((c) => c.script)).toEqual(expect.arrayContaining(['install', 'demo', 'test', 'pack:all', 'mqtt']))
  for (const { file, script } of commands)
    if (!builtins.has(script)) expect(rootScripts, `${file}: pnpm ${script}`).toHaveProperty([script])
})

test('`pnpm test` prints the line the README quotes before the type-check', async () => {
  const steps = (rootScripts['test'] as string).split(' && ')
  const announce = steps.indexOf('node scripts/tests-ahead.mjs')
  expect(announce).toBeGreaterThanOrEqual(0)
  expect(announce).toBeLessThan(steps.indexOf('pnpm run typecheck'))
  const { stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'tests-ahead.mjs')], { timeout: 10_000 })
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ')).toContain(`\`${stdout.trim()}\``)
})
