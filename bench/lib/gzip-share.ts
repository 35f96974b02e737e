/**
 * What each module costs a gzipped bundle: the bundle gzipped whole, less the bundle gzipped
 * without that module. Minified bytes mislead here (gzip shrinks repeated code and text far
 * more than unique code), and the gzipped figure is the one users pay.
 */
import { resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, transformSync, type BuildOptions } from 'esbuild'
import { reachable } from './split-bundle.js'

/**
 * `[module, gzipped bytes it adds]` for each of our modules (`packages/…`), largest first. With
 * `splitting`, of the code the program loads (its entry chunk and what that imports statically),
 * those chunks taken as one text.
 */
export async function gzipShares(options: BuildOptions): Promise<Array<[module: string, bytes: number]>> {
  // Minified but for whitespace, esbuild marks where each module starts: `// ../packages/…`.
  const { outputFiles, metafile } = await build({
    ...options,
    minify: false,
    minifySyntax: true,
    minifyIdentifiers: true,
    write: false,
    metafile: true,
  })
  const entry = Object.keys(metafile.outputs).find((o) => metafile.outputs[o]?.entryPoint !== undefined) ?? ''
  const loaded = new Set([...reachable(metafile, [entry], new Set(['import-statement']))].map((o) => resolve(o)))
  const text = outputFiles
    .filter((file) => loaded.has(file.path))
    .map((file) => file.text)
    .join('\n')
  const parts = text.split(/^(?=\/\/ \S+\.ts$)/m).map((part) => ({
    module: /^\/\/ (\S+)/.exec(part)?.[1] ?? '',
    code: squeeze(part),
  }))
  const whole = gzipSync(parts.map((p) => p.code).join('')).length
  return parts
    .filter((p) => p.module.includes('packages/'))
    .map((p): [string, number] => [
      p.module.replace(/.*packages\//, ''),
      whole - gzipSync(parts.map((q) => (q === p ? '' : q.code)).join('')).length,
    ])
    .sort((a, b) => b[1] - a[1])
}

/** One module's code with its whitespace minified, as in the real bundle. */
function squeeze(code: string): string {
  try {
    return transformSync(code, { minifyWhitespace: true, loader: 'js' }).code
  } catch {
    // A part that does not parse alone (a statement split across modules): keep it as it is.
    return code
  }
}
