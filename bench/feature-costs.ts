/**
 * What each guarantee costs the footprint program, gzipped: the program is bundled again with
 * one part of @x/simple stubbed out (as if the guarantee were dropped), and the difference is
 * its cost. Bundled and counted as `pnpm size` does (lib/split-bundle.ts): with splitting, the
 * chunks the program loads, each gzipped; a lazy chunk (MQTT 5) is not part of its cost. The stubbed bundles are measured, never run: they exist to price a decision, e.g.
 * "the last kilobyte would cost the TLS hints and the wrong-port probe".
 *
 * A stub that no longer changes the bundle (the source it edits moved) is an error, not a 0.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, type Plugin } from 'esbuild'
import type * as TypeScript from 'typescript'
import { footprintOptions, reachable } from './lib/split-bundle.js'
import type { Platform } from './size.js'

const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript

/**
 * Source edits, by file under `packages/simple/src/` (or `packages/` for a name that starts with
 * `errno/`), that take one guarantee out: the file's new text, or an edit of it.
 */
type Edits = Record<string, string | ((source: string) => string)>

/** Replaces what `pattern` matches, and fails if it matches nothing. */
const replacing =
  (pattern: RegExp, by: string) =>
  (source: string): string => {
    if (!pattern.test(source)) throw new Error(`feature-costs: ${pattern} no longer matches: update the stub`)
    return source.replace(pattern, by)
  }

const GUARANTEES: ReadonlyArray<{ name: string; edits: Edits; platforms: readonly Platform[] }> = [
  {
    name: 'ws:// and wss:// in Node (the WebSocket link, loading ws)',
    platforms: ['node'],
    edits: { 'transport/node-websocket.ts': "export const runtimeWebSocket = () => Promise.reject(new Error('off'))" },
  },
  {
    name: 'telling a wrong port from a flaky network (the second probe)',
    platforms: ['node'],
    edits: { 'transport/probe.ts': 'export const answersTls = async () => false\nexport const answersMqtt = async () => false' },
  },
  {
    name: 'telling a wrong port from a flaky network over WebSocket (ws:// to an MQTT or TLS port)',
    platforms: ['node'],
    edits: {
      'transport/node-websocket.ts': replacing(/function probingWrongPort\(transport: Transport\): Transport \{/, '$&\n  return transport'),
    },
  },
  {
    name: 'no password in any message (a URL shown as user:***)',
    platforms: ['node', 'browser'],
    edits: { 'client/printable.ts': 'export const printableUrl = (url: string): string => url' },
  },
  {
    name: 'what to do about TLS failures (the hints)',
    platforms: ['node'],
    edits: { 'transport/network-error.ts': replacing(/const TLS_HINTS[^]*?\n\]\n/, 'const TLS_HINTS: [RegExp, string][] = []\n') },
  },
  {
    name: 'what to check when a WebSocket upgrade fails (the hints)',
    platforms: ['node'],
    edits: { 'transport/node-websocket.ts': replacing(/const UPGRADE_HINTS[^]*?\n\]\n/, 'const UPGRADE_HINTS: [RegExp, string][] = []\n') },
  },
  {
    name: 'holding what a browser WebSocket delivers unread, within 32 MiB',
    platforms: ['browser'],
    edits: {
      'transport/websocket.ts': replacing(/    this\.#held\.push\(bytes\)[^]*?\n    \}\n/, '    this.#handlers.onData(bytes)\n'),
    },
  },
  {
    name: 'keepalive and the dead-link watch',
    platforms: ['node', 'browser'],
    edits: {
      'client/liveness.ts':
        'export class Liveness { probing = 0; paused = false; constructor(..._: unknown[]) {} stop() {} sent() {} received(_: number) {} pinged() {} arm() {} }',
    },
  },
  {
    name: 'MQTT 5 in the v4 program: the error codes 100–111 and their meanings (@x/errno)',
    platforms: ['node', 'browser'],
    edits: {
      'errno/src/codes.ts': replacing(/\n  \/\/ MQTT 5\.0[^]*?ENOTSUPPORTED: 111,\n/, '\n'),
      'errno/src/meanings.ts': replacing(/\n  EDISCONNECT: \[[^]*?\n  ENOTSUPPORTED: [^\n]*\n/, '\n'),
    },
  },
  {
    name: 'checking topic names and filters before sending',
    platforms: ['node', 'browser'],
    edits: {
      'codec/topic.ts': replacing(
        /export function (topicNameShapeProblem|topicNameProblem|topicFilterProblem)\([^)]*\)[^{]*\{/g,
        '$&\n  return undefined',
      ),
    },
  },
]

/** Every guarantee's edits at once: edits of the same file one after the other, a new text overriding them. */
function together(all: readonly Edits[]): Edits {
  const merged: Edits = {}
  for (const edits of all) {
    for (const [file, edit] of Object.entries(edits)) {
      const before = merged[file]
      if (typeof before === 'string') continue // the file's whole new text: nothing left to edit
      merged[file] = typeof edit === 'string' || !before ? edit : (source: string) => edit(before(source))
    }
  }
  return merged
}

/** A plugin that loads our sources with the edits made. */
function editing(edits: Edits): Plugin {
  return {
    name: 'guarantee-off',
    setup(b) {
      b.onLoad({ filter: /packages\/(simple|errno)\/src\/.*\.ts$/ }, (args) => {
        const file = Object.keys(edits).find((name) =>
          args.path.endsWith(name.startsWith('errno/') ? `packages/${name}` : `simple/src/${name}`),
        )
        const edit = file === undefined ? undefined : edits[file]
        if (edit === undefined) return undefined
        return { contents: typeof edit === 'string' ? edit : edit(readFileSync(args.path, 'utf8')), loader: 'ts' }
      })
    },
  }
}

/** The bundle with every sentence of the messages taken out (string literals with a space, 16 characters or more). */
function withoutMessageText(code: string): string {
  const file = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const K = ts.SyntaxKind
  const texts = new Set([K.StringLiteral, K.NoSubstitutionTemplateLiteral, K.TemplateHead, K.TemplateMiddle, K.TemplateTail])
  const cuts: Array<[number, number]> = []
  const visit = (node: TypeScript.Node): void => {
    if (texts.has(node.kind)) {
      const { text } = node as TypeScript.LiteralLikeNode
      // A template's head and middle end with `${`, a literal with its quote.
      const end = node.kind === K.TemplateHead || node.kind === K.TemplateMiddle ? 2 : 1
      if (text.length >= 16 && /\s/.test(text)) cuts.push([node.getStart(file) + 1, node.getEnd() - end])
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  for (const [from, to] of cuts.sort((a, b) => b[0] - a[0])) code = code.slice(0, from) + code.slice(to)
  return code
}

export interface GuaranteeCost {
  platform: Platform
  name: string
  /** Gzipped bytes the guarantee adds to the footprint program. */
  bytes: number
}

/** The footprint program's gzipped size per platform, and what each guarantee in it costs. */
export async function measureGuaranteeCosts(): Promise<{
  whole: Record<Platform, number>
  costs: GuaranteeCost[]
  /** The program with every guarantee above taken out, and every message sentence. */
  bare: Record<Platform, number>
}> {
  const whole = { node: 0, browser: 0 }
  const bare = { node: 0, browser: 0 }
  const costs: GuaranteeCost[] = []
  for (const platform of ['node', 'browser'] as const) {
    const entry = new URL(`footprint/simple-qos1${platform === 'browser' ? '-browser' : ''}.ts`, import.meta.url).pathname
    // The chunks the program loads (entry first, then what it imports statically), as text.
    const bundle = async (edits: Edits): Promise<string[]> => {
      const { outputFiles, metafile } = await build({
        ...footprintOptions(entry, platform, true),
        outdir: join(process.cwd(), 'unused'),
        write: false,
        metafile: true,
        plugins: [editing(edits)],
      })
      const first = Object.keys(metafile.outputs).find((o) => metafile.outputs[o]?.entryPoint !== undefined) ?? ''
      const loaded = [...reachable(metafile, [first], new Set(['import-statement']))].map((o) => resolve(o))
      return loaded.map((path) => outputFiles.find((file) => file.path === path)?.text ?? '')
    }
    const gzipped = (chunks: string[]): number => chunks.reduce((sum, code) => sum + gzipSync(code).length, 0)
    const chunks = await bundle({})
    whole[platform] = gzipped(chunks)
    for (const { name, edits, platforms } of GUARANTEES) {
      if (!platforms.includes(platform)) continue
      const bytes = whole[platform] - gzipped(await bundle(edits))
      if (bytes <= 0) throw new Error(`feature-costs: taking out "${name}" changed nothing for ${platform}: update the stub`)
      costs.push({ platform, name, bytes })
    }
    costs.push({
      platform,
      name: 'every message sentence (the codes kept)',
      bytes: whole[platform] - gzipped(chunks.map(withoutMessageText)),
    })
    const all = together(GUARANTEES.filter((g) => g.platforms.includes(platform)).map((g) => g.edits))
    bare[platform] = gzipped((await bundle(all)).map(withoutMessageText))
  }
  return { whole, costs, bare }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { whole, costs, bare } = await measureGuaranteeCosts()
  console.log(
    'what each guarantee costs the v4 footprint program (esbuild --bundle --minify --splitting, the chunks it loads, gzipped), measured by taking it out',
  )
  for (const platform of ['node', 'browser'] as const) {
    const rows = costs.filter((c) => c.platform === platform)
    console.log(`${platform}: ${whole[platform]} B in all`)
    for (const { name, bytes } of rows) console.log(`  ${String(bytes).padStart(6)}  ${name}`)
    console.log(`${platform}: ${bare[platform]} B with all of them out at once`)
  }
}
