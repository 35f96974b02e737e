/**
 * A program bundled as a user ships it (esbuild, ESM for Node), from source text that imports the
 * workspace packages, into a temporary folder with no node_modules: for tests that run a program
 * as a process of its own. `remove()` deletes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export interface Bundled {
  dir: string
  program: string
  remove(): void
}

export async function bundleProgram(source: string, name: string): Promise<Bundled> {
  const dir = mkdtempSync(join(tmpdir(), `x-mqtt-${name}-`))
  const program = join(dir, 'program.mjs')
  await build({
    stdin: { contents: source, resolveDir: fileURLToPath(new URL('..', import.meta.url)), loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: program,
    logLevel: 'error',
  })
  return { dir, program, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
