#!/usr/bin/env node
// The `mqtt` command. Installed, it runs the compiled dist/ (a fast start). In a checkout of the
// repository, where the sources sit beside it, it runs them through tsx instead: no build step,
// and never a stale build.
import { existsSync } from 'node:fs'

const sources = new URL('../src/main.ts', import.meta.url)
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api')
  register()
  await (await import(sources.href)).main()
} else {
  await (await import('../dist/main.js')).main()
}
