/**
 * The libraries as a user's build ships them: lib/libraries.ts bundled by esbuild (our packages
 * compiled from their TypeScript sources, MQTT.js and Node's modules left as they are), without
 * the function-name wrappers a development loader such as tsx adds to every closure. The speed
 * runs use this bundle, so they time the code users run, not the loader.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type BuildOptions } from 'esbuild'
import type { Library } from './libraries.js'

export type Bundle = {
  LIBRARIES: readonly Library[]
  LIBRARIES_V5: readonly Library[]
  LIBRARIES_DURABLE: readonly Library[]
  LIBRARIES_WIDE: readonly Library[]
  LIBRARIES_DURABLE_WIDE: readonly Library[]
  LIBRARIES_DURABLE_WIDE_NOSYNC: readonly Library[]
  IDLE: Record<string, (url: string, clientId: string) => Promise<() => Promise<void>>>
}

let bundle: Promise<Bundle> | undefined

export async function bundledLibraries(): Promise<readonly Library[]> {
  return (await (bundle ??= load())).LIBRARIES
}

/** The same clients speaking MQTT 5 (lib/libraries.ts's LIBRARIES_V5). */
export async function bundledLibrariesV5(): Promise<readonly Library[]> {
  return (await (bundle ??= load())).LIBRARIES_V5
}

/** MQTT.js beside @x/robust with a LevelStore (lib/libraries.ts's LIBRARIES_DURABLE). */
export async function bundledLibrariesDurable(): Promise<readonly Library[]> {
  return (await (bundle ??= load())).LIBRARIES_DURABLE
}

/**
 * MQTT.js beside @x/robust with a wider `maxInFlight`, in memory, with a LevelStore, and with a
 * LevelStore told `sync: false` (lib/libraries.ts's LIBRARIES_WIDE, LIBRARIES_DURABLE_WIDE, LIBRARIES_DURABLE_WIDE_NOSYNC).
 */
export async function bundledLibrariesWide(): Promise<{
  inMemory: readonly Library[]
  durable: readonly Library[]
  durableNoSync: readonly Library[]
}> {
  const { LIBRARIES_WIDE, LIBRARIES_DURABLE_WIDE, LIBRARIES_DURABLE_WIDE_NOSYNC } = await (bundle ??= load())
  return { inMemory: LIBRARIES_WIDE, durable: LIBRARIES_DURABLE_WIDE, durableNoSync: LIBRARIES_DURABLE_WIDE_NOSYNC }
}

/** The idle clients of the bundle (lib/libraries.ts's IDLE). */
export async function idleClients(): Promise<Bundle['IDLE']> {
  return (await (bundle ??= load())).IDLE
}

const load = (): Promise<Bundle> => bundleFrom()

// Our packages (and their subpaths: `@x/simple/codec`) a bundle can take from another copy of `packages/`.
const OURS = /^@x\/(errno|simple|robust|level-store)(\/.*)?$/

const WORKING_TREE = fileURLToPath(new URL('../../packages/', import.meta.url))

/**
 * `level`, as @x/level-store's installation resolves it: left out of the bundle (it loads
 * LevelDB's prebuilt binary) and imported by its absolute path, bench/ having no `level` of its own.
 */
const level = createRequire(join(WORKING_TREE, 'level-store', 'package.json')).resolve('level')
const levelOutside: NonNullable<BuildOptions['plugins']>[number] = {
  name: 'level-outside',
  setup: (b) => b.onResolve({ filter: /^level$/ }, () => ({ path: level, external: true })),
}

/** Where `@x/<name>[/<sub>]` points in the copy at `packages`: its package.json's `exports` entry for that subpath. */
function entryIn(packages: string, name: string, sub = ''): string {
  // A revision from before @x/level-store: the working tree's, so that the bench's libraries load.
  if (name === 'level-store' && !existsSync(join(packages, name))) packages = WORKING_TREE
  const manifest = join(packages, name, 'package.json')
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports ?? {}
  const entry = exports[`.${sub}`]
  if (typeof entry !== 'string') throw new Error(`${manifest} exports no "${'.' + sub}" as a path: cannot bundle @x/${name}${sub} from it`)
  return join(packages, name, entry)
}

/**
 * What makes esbuild take our packages from the copy at `packages`: each `@x/…` import resolved
 * there (once per import path: every module of @x/robust imports @x/simple), their own
 * dependencies from the working tree's installation.
 */
function fromCopy(packages: string): Pick<BuildOptions, 'plugins' | 'nodePaths'> {
  const resolved = new Map<string, string>()
  const resolve = (path: string): string => {
    let entry = resolved.get(path)
    if (entry === undefined) {
      const [, name, sub] = OURS.exec(path) as RegExpExecArray
      resolved.set(path, (entry = entryIn(packages, name as string, sub)))
    }
    return entry
  }
  return {
    plugins: [{ name: 'packages-from', setup: (b) => b.onResolve({ filter: OURS }, ({ path }) => ({ path: resolve(path) })) }],
    nodePaths: ['robust', 'simple', 'level-store'].map((name) => join(WORKING_TREE, name, 'node_modules')),
  }
}

/**
 * lib/libraries.ts bundled and loaded. Our packages come from the working tree, or, with
 * `packages`, from another copy of the repository's `packages/` folder (bench/ab.ts: a revision's,
 * from `git archive`): their sources are bundled from there, each import among them resolved within
 * that copy, and their dependencies (p-retry, eventemitter3) from the working tree's installation.
 * @x/level-store is bundled as the others are; `level` under it is not (Node loads it, with
 * LevelDB's binary, from the working tree's installation).
 */
export async function bundleFrom(packages?: string): Promise<Bundle> {
  // Inside bench/, so that MQTT.js resolves from bench/node_modules.
  const parent = fileURLToPath(new URL('../.bundle/', import.meta.url))
  mkdirSync(parent, { recursive: true })
  const dir = mkdtempSync(parent)
  const copy: ReturnType<typeof fromCopy> = packages ? fromCopy(packages) : {}
  try {
    const outfile = join(dir, 'libraries.mjs')
    await build({
      entryPoints: [fileURLToPath(new URL('./libraries.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      external: ['mqtt', 'mqtt-packet'],
      logLevel: 'error',
      ...copy,
      plugins: [levelOutside, ...(copy.plugins ?? [])],
    })
    return (await import(pathToFileURL(outfile).href)) as Bundle
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
