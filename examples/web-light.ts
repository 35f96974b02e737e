/**
 * The living-room light as a web page (web/page.ts): one command serves the page and an embedded
 * broker on one port (http://127.0.0.1:8080/ for the page, ws://127.0.0.1:8080/mqtt for MQTT over
 * WebSocket, plus plain MQTT on a port of its own for Node clients and the mqtt command), prints
 * the URL, and tells each change of the light it sees. Open the page in two tabs, click the
 * switch in one: both change. Publish from a terminal and the page follows:
 *   npx -y pnpm@10 -s mqtt pub -L <the mqtt:// URL it prints>/<topic> -m ON -r -q 1
 *
 * With --url ws://test.mosquitto.org:8080 the page and the watcher use that broker instead. The
 * page is bundled for the browser with esbuild when the server starts (no `node:` module in it).
 */
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { RobustClient } from '@x/robust'
import { intArg, parseExampleArgs, UsageError } from './lib/args.js'
import { shellWord } from './lib/hint.js'
import { startEmbeddedBroker, type EmbeddedBroker } from './lib/embedded-broker.js'
import { isMain, runMain, type Print } from './lib/main.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run web-light [options]
Serves the living-room light as a web page, with an embedded broker on the same port (MQTT over WebSocket).
  --port N           HTTP port for the page (and ws://…/mqtt) (default 8080; 0: a free one)
  --topic TOPIC      the light's topic (default: x-mqtt/<random id>/living_room/light)
  --for SECONDS      stop after SECONDS (default: run until Ctrl-C)
  --url URL          the page's broker instead of the embedded one: ws:// or wss:// (e.g. ws://test.mosquitto.org:8080)
  --help             show this text`

const WEB = new URL('./web/', import.meta.url)

export interface WebLight {
  /** The page: `http://127.0.0.1:<port>/`. */
  pageUrl: string
  /** What the page connects to: `ws://127.0.0.1:<port>/mqtt`, or --url. */
  brokerUrl: string
  /** The embedded broker's plain MQTT URL, for Node clients; `undefined` with --url. */
  tcpUrl: string | undefined
  topic: string
  /** Stops the embedded broker and starts it again on the same ports, with no memory (a crash). */
  restartBroker(): Promise<void>
  close(): Promise<void>
}

/** The page bundled for the browser: ES modules, minified, with @x/robust, @x/simple and @x/level-store (browser-level, on IndexedDB) in it. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('page.ts', WEB))],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  })
  return (result.outputFiles[0] as { text: string }).text
}

/**
 * Serves the page, its config, and (without `url`) the embedded broker on `port`. `store: false`
 * makes the page keep what it owes the broker in memory only (lost on reload) instead of in
 * IndexedDB: the difference the store makes, shown.
 */
export async function serveWebLight(options: { port?: number; topic?: string; url?: string; store?: boolean } = {}): Promise<WebLight> {
  const topic = options.topic ?? `x-mqtt/${Math.random().toString(16).slice(2, 10)}/living_room/light`
  const [html, script] = [readFileSync(new URL('index.html', WEB), 'utf8'), await bundlePage()]
  let config = ''
  const files: Record<string, [type: string, body: () => string]> = {
    '/': ['text/html; charset=utf-8', () => html],
    '/page.js': ['text/javascript; charset=utf-8', () => script],
    '/config.json': ['application/json', () => config],
  }
  const server = http.createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://x').pathname]
    if (!file || request.method !== 'GET') return void response.writeHead(404).end('not found')
    response.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UsageError(`port ${options.port} is in use: pass --port N (0 for a free one)`) : error),
    )
    server.listen(options.port ?? 8080, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  let broker: EmbeddedBroker | undefined = options.url ? undefined : await startEmbeddedBroker({ websocket: { server } })
  const tcpPort = broker?.port
  const brokerUrl = options.url ?? `ws://127.0.0.1:${port}/mqtt`
  config = JSON.stringify({ url: brokerUrl, topic, store: options.store ?? true })
  return {
    pageUrl: `http://127.0.0.1:${port}/`,
    brokerUrl,
    tcpUrl: broker?.url,
    topic,
    restartBroker: async () => {
      if (!tcpPort) throw new Error('restartBroker(): the page uses --url, not the embedded broker')
      await broker?.close()
      broker = await startEmbeddedBroker({ port: tcpPort, websocket: { server } })
    },
    close: async () => {
      await broker?.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, { port: { type: 'string' }, topic: { type: 'string' }, for: { type: 'string' } })
  if (args.help) return print(USAGE)
  if (args.url && !/^wss?:\/\//.test(args.url))
    throw new UsageError(`--url ${args.url}: a browser reaches MQTT brokers over WebSocket only: give a ws:// or wss:// URL`)
  const seconds = args.for === undefined ? undefined : intArg(args.for, 'for', 0, 1)
  const web = await serveWebLight({
    port: intArg(args.port, 'port', 8080, 0, 65_535),
    ...(args.topic ? { topic: args.topic } : {}),
    ...(args.url ? { url: args.url } : {}),
  })
  // A watcher from Node: it says what the light does, whoever switched it.
  const watcher = new RobustClient({
    clientId: `web-light-watcher-${Math.random().toString(16).slice(2, 8)}`,
    server: web.tcpUrl ?? web.brokerUrl,
  })
  watcher.on('message', (_topic, payload) => print(`light: ${payload.toString()}`))
  try {
    await watcher.connect()
    await watcher.subscribe(web.topic, { qos: 1 })
    print(`Open ${web.pageUrl} in a browser (the page connects to ${web.brokerUrl}).`)
    print(`The light's topic: ${web.topic}`)
    if (web.tcpUrl)
      print(
        `Switch it from a terminal: npx -y pnpm@10 -s mqtt pub -L ${shellWord(`${web.tcpUrl}/${web.topic.replace(/%/g, '%25')}`)} -m ON -r -q 1`,
      )
    print(seconds === undefined ? 'Ctrl-C stops the server.' : `Stopping in ${seconds} s.`)
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        clearTimeout(timer)
        process.off('SIGINT', stop).off('SIGTERM', stop)
        resolve()
      }
      const timer = seconds === undefined ? undefined : setTimeout(stop, seconds * 1000)
      process.once('SIGINT', stop).once('SIGTERM', stop)
    })
  } finally {
    await watcher.close()
    await web.close()
  }
  print('Stopped.')
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
