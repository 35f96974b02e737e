/**
 * A footprint program bundled as a web page's bundler ships it (Vite, Rollup, webpack, esbuild
 * `--splitting`): esbuild `--bundle --minify --splitting --format=esm`, so a dynamic `import()`
 * becomes a chunk of its own, fetched only when that code runs. What a program pays is then two
 * figures, each the sum of its chunks gzipped one by one (as a server sends them):
 *
 * - loaded: the entry chunk and every chunk it imports statically, transitively (what runs
 *   before the program's first line);
 * - lazy: every other chunk reachable through a dynamic `import()` (and what those chunks import).
 *
 * And, so that nobody is misled, the figure without splitting (one file, `--bundle --minify`, as
 * `esbuild` does by default and as the contract's §2 wording reads): a dynamic `import()` is then
 * inlined, and a v4 program carries the v5 code too.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, type BuildOptions, type Metafile } from 'esbuild'
import type { Platform } from '../size.js'

export interface SplitBundle {
  /** The entry chunk's file, to run. */
  entryFile: string
  /** The chunks loaded before the program runs (entry first), and those behind a dynamic import(). */
  loadedFiles: string[]
  lazyFiles: string[]
  /** Gzipped one by one, summed. */
  loaded: number
  lazy: number
  /** Minified bytes of the loaded chunks. */
  loadedMinified: number
  /** The source modules in the loaded chunks (paths as the metafile gives them), with their minified bytes. */
  loadedInputs: Map<string, number>
  /** The source modules in the lazy chunks. */
  lazyInputs: Map<string, number>
  /** The bare (not relative) imports left in any chunk: `node:` modules and the like. */
  external: string[]
}

// MQTT.js's Node build is CommonJS that calls require('events') and the like: in an ES module
// that needs a `require`, which these lines give (about 80 B gzipped, on the programs that need it).
const NODE_REQUIRE = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);"

/** esbuild's options for a footprint program, `splitting` or a single file; `require` for CommonJS code in a Node ES module. */
export function footprintOptions(entry: string, platform: Platform, splitting: boolean, require = false): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform,
    format: 'esm',
    splitting,
    outExtension: { '.js': '.mjs' },
    ...(require ? { banner: { js: NODE_REQUIRE } } : {}),
    logLevel: 'error',
  }
}

/** The chunks reachable from `from` by imports of the given kind, `from` included, in the metafile's paths. */
export function reachable(metafile: Metafile, from: string[], kinds: ReadonlySet<string>): Set<string> {
  const seen = new Set<string>()
  const visit = (output: string): void => {
    if (seen.has(output)) return
    seen.add(output)
    for (const i of metafile.outputs[output]?.imports ?? []) {
      if (kinds.has(i.kind) && !i.external) visit(i.path)
    }
  }
  for (const output of from) visit(output)
  return seen
}

const STATIC = new Set(['import-statement'])
const ANY = new Set(['import-statement', 'dynamic-import'])

/** Bundles `entry` with splitting into `outdir` and measures its loaded and lazy chunks. */
export async function splitBundle(entry: string, platform: Platform, outdir: string, require = false): Promise<SplitBundle> {
  mkdirSync(outdir, { recursive: true })
  const result = await build({ ...footprintOptions(entry, platform, true, require), outdir, write: true, metafile: true })
  const { metafile } = result
  // The metafile's paths are relative to the working directory.
  const cwd = process.cwd()
  const entryOutput = Object.keys(metafile.outputs).find((o) => metafile.outputs[o]?.entryPoint !== undefined)
  if (!entryOutput) throw new Error(`esbuild made no entry chunk for ${entry}`)
  const loadedSet = reachable(metafile, [entryOutput], STATIC)
  const lazySet = [...reachable(metafile, [entryOutput], ANY)].filter((o) => !loadedSet.has(o))
  const loadedFiles = [...loadedSet]
  const gzipped = (outputs: string[]): number => outputs.reduce((sum, o) => sum + gzipSync(readFileSync(resolve(cwd, o))).length, 0)
  const inputs = (outputs: string[]): Map<string, number> => {
    const found = new Map<string, number>()
    for (const o of outputs) {
      for (const [path, input] of Object.entries(metafile.outputs[o]?.inputs ?? {})) {
        if (input.bytesInOutput > 0) found.set(path, (found.get(path) ?? 0) + input.bytesInOutput)
      }
    }
    return found
  }
  return {
    entryFile: resolve(cwd, entryOutput),
    loadedFiles: loadedFiles.map((o) => resolve(cwd, o)),
    lazyFiles: lazySet.map((o) => resolve(cwd, o)),
    loaded: gzipped(loadedFiles),
    lazy: gzipped(lazySet),
    loadedMinified: loadedFiles.reduce((sum, o) => sum + (metafile.outputs[o]?.bytes ?? 0), 0),
    loadedInputs: inputs(loadedFiles),
    lazyInputs: inputs(lazySet),
    external: Object.values(metafile.outputs)
      .flatMap((output) => output.imports)
      .filter((i) => i.external)
      .map((i) => i.path),
  }
}

/** The program as one file (no splitting: a dynamic import() inlined), gzipped. */
export async function singleFileGzipped(entry: string, platform: Platform, require = false): Promise<number> {
  const result = await build({ ...footprintOptions(entry, platform, false, require), outdir: join(process.cwd(), 'unused'), write: false })
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'))
  if (!code) throw new Error(`esbuild made no bundle for ${entry}`)
  return gzipSync(code.contents).length
}

/** The modules of our MQTT 5 code (its codec and its client half): a v4 program must load none. */
export const V5_MODULE = /packages\/simple\/src\/(codec|client)\/v5\//

/** The MQTT 5 modules among a bundle's loaded inputs, as `packages/…` paths. */
export function v5ModulesIn(inputs: Map<string, number>): string[] {
  return [...inputs.keys()].filter((path) => V5_MODULE.test(path)).map((path) => path.replace(/.*packages\//, ''))
}

/** A metafile path (relative to the working directory) as a path relative to `dir`, for messages. */
export const shortPath = (path: string, dir: string): string => relative(dir, resolve(process.cwd(), path))
