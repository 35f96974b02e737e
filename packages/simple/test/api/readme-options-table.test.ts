/**
 * The README's options table names every field of `ClientOptions`, and nothing else: an option
 * added to the code without a row (name, default, meaning) fails here.
 */
import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8')

test("the README's options table has one row per ClientOptions field", () => {
  const source = read('../../src/client/options.ts')
  const body = /export interface ClientOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? ''
  const fields = [...body.matchAll(/^ {2}(\w+)\??:/gm)].map(([, name]) => name)
  expect(fields).toContain('session')

  const readme = read('../../README.md')
  const section = /\n## Options\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ''
  const rows = [...section.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \|$/gm)]
  expect(rows.map(([, name]) => name).sort()).toEqual([...fields].sort())
  for (const [, name, defaultValue, meaning] of rows) expect([defaultValue?.trim(), meaning?.trim()], name).not.toContain('')
})
