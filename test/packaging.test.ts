/**
 * The packages as a user gets them: each one packed (`pnpm pack`, which builds it first), the
 * tarballs installed into a fresh npm project outside the workspace, and then a program run
 * against a real broker and a strict TypeScript consumer checked under both `node16` and
 * `bundler` resolution. No network: the dependencies are packed from the local store too and
 * npm installs offline.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'

const run = promisify(execFile)
// pnpm as it runs this test (CI starts it with npx, so it may not be on PATH), else from PATH.
const execpath = process.env['npm_execpath']
const pnpm = (args: string[]): [string, string[]] => (execpath?.includes('pnpm') ? [process.execPath, [execpath, ...args]] : ['pnpm', args])
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const LIBRARIES = ['errno', 'simple', 'robust'] as const
const PACKAGES = [...LIBRARIES, 'cli'] as const

/** The folder of an installed package, found as Node's resolution would from `from` (its exports need not list package.json). */
function packageFolder(name: string, from: string): string {
  for (let at = from; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(at) === at) throw new Error(`${name} is not installed where ${from} can see it`)
  }
}

let dir: string
let project: string
let broker: EmbeddedBroker
const tarballs: Record<string, string> = {}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'x-mqtt-pack-'))
  const packed = join(dir, 'tarballs')
  for (const name of PACKAGES) {
    const [command, args] = pnpm(['pack', '--pack-destination', packed])
    await run(command, args, { cwd: join(ROOT, 'packages', name), timeout: 120_000 })
  }
  for (const file of readdirSync(packed)) tarballs[file.replace(/-\d+\.\d+\.\d+\.tgz$/, '')] = join(packed, file)
  // The third-party dependencies, and TypeScript's Node types, from the local store: offline.
  const robust = join(ROOT, 'packages', 'robust')
  const pRetry = packageFolder('p-retry', robust)
  const folders = [
    packageFolder('eventemitter3', robust),
    pRetry,
    packageFolder('is-network-error', pRetry),
    packageFolder('@types/node', ROOT),
  ]
  for (const folder of folders) {
    const { stdout } = await run('npm', ['pack', folder, '--pack-destination', packed, '--ignore-scripts'], { timeout: 60_000 })
    tarballs[folder] = join(packed, stdout.trim().split('\n').at(-1) as string)
  }
  // ws, for MQTT over WebSocket in Node (an optional peer of @x/simple).
  folders.push(packageFolder('ws', join(ROOT, 'packages', 'simple')))
  for (const folder of folders.slice(-1)) {
    const { stdout } = await run('npm', ['pack', folder, '--pack-destination', packed, '--ignore-scripts'], { timeout: 60_000 })
    tarballs[folder] = join(packed, stdout.trim().split('\n').at(-1) as string)
  }
  const undici = packageFolder('undici-types', packageFolder('@types/node', ROOT))
  const { stdout } = await run('npm', ['pack', undici, '--pack-destination', packed, '--ignore-scripts'], { timeout: 60_000 })
  tarballs[undici] = join(packed, stdout.trim().split('\n').at(-1) as string)
  project = join(dir, 'app')
  await run('mkdir', ['-p', project])
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...Object.values(tarballs)], {
    cwd: project,
    timeout: 120_000,
  })
  broker = await startEmbeddedBroker({ websocket: true })
}, 300_000)

afterAll(async () => {
  await broker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('each library tarball holds the built code, its types, LICENSE and README, and real version ranges', async () => {
  for (const name of LIBRARIES) {
    const { stdout } = await run('tar', ['tzf', tarballs[`x-${name}`] as string])
    const files = stdout.trim().split('\n')
    expect(files, name).toEqual(
      expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']),
    )
    expect(
      files.filter((f) => f.includes('/src/') || f.includes('/test/')),
      `${name}: no sources or tests`,
    ).toEqual([])
    const { stdout: json } = await run('tar', ['xzf', tarballs[`x-${name}`] as string, '-O', 'package/package.json'])
    const manifest = JSON.parse(json) as {
      dependencies?: Record<string, string>
      exports: Record<string, unknown>
      imports?: Record<string, Record<string, string>>
      publishConfig: { access: string }
    }
    expect(JSON.stringify(manifest.dependencies ?? {}), name).not.toContain('workspace:')
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' })
    // Every export and every runtime-chosen import leads to a file in the tarball.
    const targets = [...Object.values(manifest.exports), ...Object.values(manifest.imports ?? {})].flatMap((t) =>
      Object.values(t as object),
    )
    for (const target of targets) expect(files, `${name}: ${String(target)}`).toContain(`package/${String(target).slice(2)}`)
    if (name === 'simple') {
      expect(manifest.exports['./codec']).toEqual({ types: './dist/codec/index.d.ts', default: './dist/codec/index.js' })
      expect(Object.keys(manifest.imports ?? {}).sort()).toEqual(['#tcp', '#websocket'])
    }
    expect(manifest.publishConfig.access).toBe('public')
  }
})

test('a program using the installed packages talks to a real broker', async () => {
  writeFileSync(
    join(project, 'main.js'),
    `import { RobustClient } from '@x/robust'
import { MqttClient, SDELIVERED } from '@x/simple'
import { describe } from '@x/errno'
const url = process.argv[2]
const sub = new RobustClient({ clientId: 'installed-sub', server: url })
const got = new Promise((resolve) => sub.on('message', (topic, payload) => resolve(topic + ' ' + payload.toString())))
await sub.connect()
await sub.subscribe('installed/t', { qos: 1 })
const pub = new MqttClient({ clientId: 'installed-pub', server: url })
let acked = false
pub.setCallbackStatus((_pid, status) => (acked = status === SDELIVERED))
await pub.connect()
await pub.publish('installed/t', 'hello from the tarballs', { qos: 1 })
while (!acked) await pub.waitMsg(1000)
console.log(await got)
console.log(describe(24))
await pub.disconnect()
await sub.close()
`,
  )
  for (const url of [broker.url, broker.wsUrl as string]) {
    const { stdout } = await run(process.execPath, ['main.js', url], { cwd: project, timeout: 20_000 })
    expect(stdout, url).toBe('installed/t hello from the tarballs\nConnection refused: bad user name or password (CONNACK 4)\n')
  }
})

test('a browser project type-checks without Node types, and its bundle of the installed packages has no node: module', async () => {
  writeFileSync(
    join(project, 'page.ts'),
    `import { RobustClient } from '@x/robust'
import { MqttClient, type TlsOptions } from '@x/simple'
import { encodePublish } from '@x/simple/codec'
const tls: TlsOptions | boolean = true
const robust = new RobustClient({ clientId: 'page', server: 'wss://broker.example/mqtt', tls })
const simple = new MqttClient({ clientId: 'page-simple', server: 'ws://broker.example:8080' })
robust.on('message', (topic, payload) => (document.title = topic + payload.toString()))
export const go = async (): Promise<void> => {
  await simple.connect()
  await robust.connect()
}
export const bytes: Uint8Array = encodePublish({ type: 'publish', topic: 't', payload: new Uint8Array(1), qos: 0, retain: false, dup: false })
`,
  )
  writeFileSync(
    join(project, 'tsconfig-browser.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'esnext',
        moduleResolution: 'bundler',
        target: 'es2022',
        lib: ['es2022', 'dom'],
        strict: true,
        noEmit: true,
        types: [],
      },
      files: ['page.ts'],
    }),
  )
  const tsc = join(packageFolder('typescript', ROOT), 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig-browser.json'], { cwd: project, timeout: 60_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }),
  )
  expect(result.stdout).toBe('')
  const bundle = await build({
    entryPoints: [join(project, 'page.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(bundle.metafile.inputs)
  expect(inputs.filter((input) => input.includes('node:') || /\/ws\//.test(input))).toEqual([])
  expect(inputs).toEqual(expect.arrayContaining([expect.stringMatching(/x\/simple\/dist\/transport\/browser-websocket\.js$/)]))
})

test.each([
  ['node16', { module: 'node16', moduleResolution: 'node16' }],
  ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
])('a strict TypeScript consumer type-checks against the installed types (%s resolution)', async (name, resolution) => {
  writeFileSync(
    join(project, `consumer-${name}.ts`),
    `import { RobustClient, type MessageInfo } from '@x/robust'
import { MqttClient, SLOST, type QoS } from '@x/simple'
import { isMqttError, type ErrorCode } from '@x/errno'
const client = new RobustClient({ clientId: 'c', server: 'mqtt://127.0.0.1', will: { topic: 'c/status', payload: 'gone' } })
client.on('message', (topic: string, payload: Uint8Array, info: MessageInfo) => {
  const qos: QoS = info.qos
  console.log(topic, payload.toString(), qos)
})
const simple = new MqttClient({ clientId: 's', server: 'mqtt://127.0.0.1' })
simple.setCallbackStatus((pid: number, status: number, granted?: number) => console.log(pid, status === SLOST, granted))
export async function go(): Promise<void> {
  try {
    await client.connect({ signal: AbortSignal.timeout(1000) })
  } catch (error) {
    const code: ErrorCode | undefined = isMqttError(error) ? error.code : undefined
    console.log(code)
  }
}
`,
  )
  writeFileSync(
    join(project, `tsconfig-${name}.json`),
    JSON.stringify({
      compilerOptions: { ...resolution, target: 'es2022', strict: true, exactOptionalPropertyTypes: true, noEmit: true, types: ['node'] },
      files: [`consumer-${name}.ts`],
    }),
  )
  const tsc = join(packageFolder('typescript', ROOT), 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', `tsconfig-${name}.json`], { cwd: project, timeout: 60_000 }).catch(
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }),
  )
  expect(result.stdout).toBe('')
})

test('the @x/cli tarball: compiled code only, its bin, real version ranges', async () => {
  const { stdout } = await run('tar', ['tzf', tarballs['x-cli'] as string])
  const files = stdout.trim().split('\n')
  expect(files).toEqual(expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/bin/mqtt.js', 'package/dist/main.js']))
  expect(files.filter((f) => f.includes('/src/') || f.includes('/test/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([])
  const { stdout: json } = await run('tar', ['xzf', tarballs['x-cli'] as string, '-O', 'package/package.json'])
  const manifest = JSON.parse(json) as { dependencies: Record<string, string>; bin: Record<string, string> }
  expect(manifest.bin).toEqual({ mqtt: './bin/mqtt.js' })
  expect(Object.keys(manifest.dependencies).sort()).toEqual(['@x/robust', '@x/simple'])
  expect(JSON.stringify(manifest.dependencies)).not.toContain('workspace:')
})

test('the installed mqtt command starts fast and talks to a real broker', async () => {
  const mqtt = join(project, 'node_modules', '.bin', 'mqtt')
  // The fastest of three starts: the first may pay for a cold disk cache.
  let fastest = Infinity
  let help = ''
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    ;({ stdout: help } = await run(mqtt, ['--help'], { cwd: project, timeout: 10_000 }))
    fastest = Math.min(fastest, performance.now() - started)
  }
  expect(help).toContain('Usage: mqtt pub')
  expect(fastest).toBeLessThan(500)
  // Through npx, as a user would run it once installed in a project.
  const npx = await run('npx', ['--offline', 'mqtt', '--version'], { cwd: project, timeout: 30_000 })
  expect(npx.stdout).toMatch(/^mqtt \d+\.\d+\.\d+ \(@x\/cli\), MQTT 3\.1\.1\n$/)

  const [host, port] = [new URL(broker.url).hostname, new URL(broker.url).port]
  const at = ['-h', host, '-p', port]
  const sub = execFile(mqtt, ['sub', ...at, '-t', 'installed/cli', '-C', '1', '-W', '15', '-d'], { cwd: project, timeout: 20_000 })
  const subscribed = new Promise<void>((resolve) =>
    sub.stderr?.on('data', (chunk: Buffer) => chunk.toString().includes('subscribed to') && resolve()),
  )
  const finished = new Promise<{ code: number | null; stdout: string }>((resolve) => {
    let out = ''
    sub.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()))
    sub.on('close', (code) => resolve({ code, stdout: out }))
  })
  await Promise.race([subscribed, finished])
  await run(mqtt, ['pub', ...at, '-t', 'installed/cli', '-m', '-from the tarball', '-q', '1'], { cwd: project, timeout: 10_000 })
  expect(await finished).toEqual({ code: 0, stdout: '-from the tarball\n' })
})
