#!/usr/bin/env node
/**
 * Packs every publishable package into one folder, as npm would get them once published, and
 * prints the lines that install them into a project outside this repository (nothing is on the
 * npm registry yet). Run from a clone, after `npx -y pnpm@10 install`:
 *
 *   npx -y pnpm@10 pack:all            # into ./packed (git-ignored)
 *   npx -y pnpm@10 pack:all some/dir   # into some/dir (the packaging test packs into a temp folder)
 *
 * Each `pnpm pack` builds its package first (its `prepack`) and turns `workspace:^` into a real
 * version range, so the tarballs hold the compiled code and install with npm.
 * Plain Node ESM with no dependencies.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
// In dependency order: a library's tarball is listed before those that need it.
const LIBRARIES = ['errno', 'simple', 'robust']
const PACKAGES = [...LIBRARIES, 'level-store', 'cli']
const TARBALL = /^x-(errno|simple|robust|level-store|cli)-\d+\.\d+\.\d+.*\.tgz$/

const destination = resolve(process.argv[2] ?? join(ROOT, 'packed'))

function fail(message) {
  console.error(`pack:all: ${message}`)
  process.exit(1)
}

// pnpm as it runs this script (`pnpm pack:all`, also through npx, which leaves it off PATH).
const execpath = process.env.npm_execpath
const pnpm = (args) => (execpath?.includes('pnpm') ? [process.execPath, [execpath, ...args]] : ['pnpm', args])

mkdirSync(destination, { recursive: true })
// Tarballs of an earlier version would be installed beside the new ones: clear ours, only ours.
for (const file of readdirSync(destination)) if (TARBALL.test(file)) rmSync(join(destination, file))

for (const name of PACKAGES) {
  console.error(`pack:all: building and packing @x/${name}…`)
  const [command, args] = pnpm(['pack', '--pack-destination', destination])
  const result = spawnSync(command, args, { cwd: join(ROOT, 'packages', name), encoding: 'utf8', timeout: 5 * 60 * 1000 })
  if (result.error?.code === 'ENOENT') fail('pnpm not found: run this as `npx -y pnpm@10 pack:all`.')
  if (result.status !== 0)
    fail(`packing @x/${name} failed (${result.error?.message ?? `exit status ${result.status}`}):\n${result.stdout}${result.stderr}`)
}

const packed = readdirSync(destination).filter((file) => TARBALL.test(file))
const tarball = (name) => {
  const file = packed.find((f) => f.startsWith(`x-${name}-`))
  if (!file) fail(`no tarball of @x/${name} in ${destination}`)
  return join(destination, file)
}
const quoted = (path) => (/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`)
const line = (names) => names.map(tarball).map(quoted).join(' ')

// The install lines start with `npm install`, so a script can pick them out.
console.log(`\npack:all: ${packed.length} tarballs in ${destination}\n`)
console.log('In your project (Node >= 20), @x/simple and @x/robust with what they need:')
console.log(`npm install ${line(LIBRARIES)}`)
console.log('\nThe mqtt command (and x-mqtt, the same), installed globally:')
console.log(`npm install -g ${line(PACKAGES.filter((name) => name !== 'level-store'))}`)
console.log("\nFor @x/robust's durable sessions, @x/level-store too (it fetches `level` from the registry):")
console.log(`npm install ${line([...LIBRARIES, 'level-store'])}`)
