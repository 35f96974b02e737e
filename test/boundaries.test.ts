/**
 * The layers, held by a test: errno depends on nothing; the codec is pure (no `node:` module, no
 * timer), so it runs in any runtime; only the transport touches the network; robust reaches
 * simple through its published entry points alone (`@x/simple`, and `@x/simple/codec`, which a
 * restart of an MQTT 5 client with a store loads to encode what it sends again), never a file inside it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The TypeScript files under a folder of the repository. */
function sources(folder: string): string[] {
  const dir = join(ROOT, folder)
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file))
}

/** Every module a file imports or re-exports from. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const patterns = [
    /^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm, // import … from 'x', export … from 'x'
    /^\s*import\s+['"]([^'"]+)['"]/gm, // import 'x' (for its side effects)
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('x')
  ]
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1] as string))
}

/** `file: module` for each import that `allowed` refuses. */
function breaches(folder: string, allowed: (module: string, file: string) => boolean): string[] {
  return sources(folder).flatMap((file) =>
    importsOf(file)
      .filter((module) => !allowed(module, file))
      .map((module) => `${relative(ROOT, file)}: ${module}`),
  )
}

const local = (module: string): boolean => module.startsWith('./') || module.startsWith('../')

test('@x/errno imports nothing but its own files', () => {
  expect(breaches('packages/errno/src', (m) => local(m))).toEqual([])
})

test('the codec is pure: nothing from node:, no timers, only errno and its own files', () => {
  expect(
    breaches('packages/simple/src/codec', (m) => m === '@x/errno' || (local(m) && !m.includes('/client/') && !m.includes('/transport/'))),
  ).toEqual([])
  const timers = sources('packages/simple/src/codec').filter((file) =>
    /\b(setTimeout|setInterval|setImmediate)\(/.test(readFileSync(file, 'utf8')),
  )
  expect(timers.map((file) => relative(ROOT, file))).toEqual([])
})

test('only the transport touches node: modules in @x/simple', () => {
  expect(breaches('packages/simple/src', (m, file) => !m.startsWith('node:') || file.includes(`${join('src', 'transport')}`))).toEqual([])
})

test('@x/robust reaches @x/simple through its entry points only', () => {
  const allowed = (m: string): boolean =>
    local(m) || m === '@x/simple' || m === '@x/simple/codec' || m === 'p-retry' || m === 'eventemitter3'
  expect(breaches('packages/robust/src', allowed)).toEqual([])
  // …and its own files never climb out of the package.
  expect(breaches('packages/robust/src', (m) => !m.startsWith('../../'))).toEqual([])
})
