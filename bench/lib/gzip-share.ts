/**
 * What each module costs a gzipped bundle: the bundle gzipped whole, less the bundle gzipped
 * without that module. Minified bytes mislead here (gzip shrinks repeated code and text far
 * more than unique code), and the gzipped figure is the one users pay.
 */
import { gzipSync } from 'node:zlib'
import { build, transformSync, type BuildOptions } from 'esbuild'

/** `[module, gzipped bytes it adds]` for each of our modules (`packages/…`), largest first. */
export async function gzipShares(options: BuildOptions): Promise<Array<[module: string, bytes: number]>> {
  // Minified but for whitespace, esbuild marks where each module starts: `// ../packages/…`.
  const { outputFiles } = await build({
    ...options,
    minify: false,
    minifySyntax: true,
    minifyIdentifiers: true,
    write: false,
    metafile: false,
  })
  const text = outputFiles?.[0]?.text ?? ''
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
