/**
 * The packages as a user gets them, by the route the root README gives: `pnpm pack:all` packs each
 * one (building it first) and prints the install lines; the libraries' line installs into a fresh
 * npm project outside the workspace, the `-g` line the mqtt command; and then a program run
 * against a real broker and a strict TypeScript consumer checked under both `node16` and
 * `bundler` resolution. No network: the dependencies are packed from the local store too and
 * npm installs offline.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, delimiter, dirname, join } from 'node:path'
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

/** The folder of an installed package, found as Node's resolution would from `from` (its exports need not list package.json). */
function packageFolder(name: string, from: string): string {
  for (let at = from; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(at) === at) throw new Error(`${name} is not installed where ${from} can see it`)
  }
}

/** The tarballs of one `npm install` line that pack:all printed (`-g` or not), as an argument list. */
function installLine(printed: string, global: boolean): string[] {
  const line = printed.split('\n').find((l) => l.startsWith('npm install ') && l.startsWith('npm install -g ') === global)
  if (!line) throw new Error(`pack:all printed no ${global ? 'global ' : ''}install line:\n${printed}`)
  // The folder is a temporary one without spaces, so no argument is quoted.
  return line.split(' ').slice(global ? 3 : 2)
}

let dir: string
let project: string
let globalPrefix: string
let broker: EmbeddedBroker
let printed: string
const tarballs: Record<string, string> = {}
const thirdParty: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'x-mqtt-pack-'))
  const packed = join(dir, 'tarballs')
  // The README's route: the root script packs every package and prints the install lines.
  const [command, args] = pnpm(['-s', 'pack:all', packed])
  ;({ stdout: printed } = await run(command, args, { cwd: ROOT, timeout: 240_000 }))
  for (const file of readdirSync(packed)) tarballs[file.replace(/-\d+\.\d+\.\d+\.tgz$/, '')] = join(packed, file)
  // The third-party dependencies, TypeScript's Node types and ws (an optional peer of @x/simple,
  // for MQTT over WebSocket in Node), from the local store: npm installs offline.
  const robust = join(ROOT, 'packages', 'robust')
  const pRetry = packageFolder('p-retry', robust)
  const nodeTypes = packageFolder('@types/node', ROOT)
  const folders = [
    packageFolder('eventemitter3', robust),
    pRetry,
    packageFolder('is-network-error', pRetry),
    nodeTypes,
    packageFolder('undici-types', nodeTypes),
    packageFolder('ws', join(ROOT, 'packages', 'simple')),
  ]
  const deps = join(dir, 'dependencies')
  mkdirSync(deps)
  for (const folder of folders) {
    const { stdout } = await run('npm', ['pack', folder, '--pack-destination', deps, '--ignore-scripts'], { timeout: 60_000 })
    thirdParty.push(join(deps, stdout.trim().split('\n').at(-1) as string))
  }
  const offline = ['--offline', '--no-audit', '--no-fund', '--ignore-scripts']
  project = join(dir, 'app')
  await run('mkdir', ['-p', project])
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
  await run('npm', ['install', ...offline, ...installLine(printed, false), ...thirdParty], { cwd: project, timeout: 120_000 })
  // The mqtt command as the README installs it: `npm install -g`, here into a prefix of our own.
  globalPrefix = join(dir, 'global')
  await run('npm', ['install', '-g', '--prefix', globalPrefix, ...offline, ...installLine(printed, true), ...thirdParty.slice(0, 3)], {
    timeout: 120_000,
  })
  broker = await startEmbeddedBroker({ websocket: true })
}, 300_000)

afterAll(async () => {
  await broker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test('each library tarball holds the built code, its types, LICENSE and README, and real version ranges', async () => {
  for (const name of [...LIBRARIES, 'level-store']) {
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
  // x-mqtt: the same command under a name MQTT.js's global `mqtt` cannot take.
  expect(manifest.bin).toEqual({ mqtt: './bin/mqtt.js', 'x-mqtt': './bin/mqtt.js' })
  expect(Object.keys(manifest.dependencies).sort()).toEqual(['@x/robust', '@x/simple'])
  expect(JSON.stringify(manifest.dependencies)).not.toContain('workspace:')
})

test('pack:all prints the install lines the README gives: the libraries for a project, and all four with -g', () => {
  const names = (global: boolean): string[] =>
    installLine(printed, global).map((path) => basename(path).replace(/-\d+\.\d+\.\d+\.tgz$/, ''))
  expect(names(false)).toEqual(['x-errno', 'x-simple', 'x-robust'])
  expect(names(true)).toEqual(['x-errno', 'x-simple', 'x-robust', 'x-cli'])
  expect(Object.keys(tarballs).sort()).toEqual(['x-cli', 'x-errno', 'x-level-store', 'x-robust', 'x-simple'])
  // The third line: the libraries and @x/level-store, for durable sessions.
  const durable = printed.split('\n').filter((l) => l.startsWith('npm install ') && !l.startsWith('npm install -g '))[1] ?? ''
  expect(durable.split(' ').slice(2).map((path) => basename(path).replace(/-\d+\.\d+\.\d+\.tgz$/, ''))).toEqual([
    'x-errno',
    'x-simple',
    'x-robust',
    'x-level-store',
  ])
})

test('the globally installed mqtt command (and x-mqtt) starts fast and talks to a real broker', async () => {
  const bin = join(globalPrefix, 'bin')
  const mqtt = join(bin, 'mqtt')
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
  // By name, through PATH, as a user runs them after `npm install -g`.
  const env = { ...process.env, PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}` }
  for (const name of ['mqtt', 'x-mqtt']) {
    const { stdout } = await run(name, ['--version'], { cwd: project, env, timeout: 10_000 })
    expect(stdout, name).toMatch(/^mqtt \d+\.\d+\.\d+ \(@x\/cli\), MQTT 3\.1\.1 and 5\.0\n$/)
  }

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
  await run(join(bin, 'x-mqtt'), ['pub', ...at, '-t', 'installed/cli', '-m', '-from the tarball', '-q', '1'], {
    cwd: project,
    timeout: 10_000,
  })
  expect(await finished).toEqual({ code: 0, stdout: '-from the tarball\n' })
})

test("beside MQTT.js's global mqtt: npm refuses without --force, with it the last install owns mqtt, x-mqtt stays ours", async () => {
  // A stand-in for MQTT.js: its package name and its bins (mqtt, mqtt_pub, mqtt_sub).
  const fake = join(dir, 'fake-mqttjs')
  await run('mkdir', ['-p', join(fake, 'bin')])
  writeFileSync(
    join(fake, 'package.json'),
    JSON.stringify({ name: 'mqtt', version: '5.0.0', bin: { mqtt: 'bin/mqtt.js', mqtt_pub: 'bin/mqtt.js' } }),
  )
  writeFileSync(join(fake, 'bin', 'mqtt.js'), '#!/usr/bin/env node\nconsole.log("MQTT.js")\n')
  const { stdout } = await run('npm', ['pack', fake, '--pack-destination', dir, '--ignore-scripts'], { timeout: 60_000 })
  const mqttJs = join(dir, stdout.trim().split('\n').at(-1) as string)
  const prefix = join(dir, 'global-beside-mqttjs')
  const npmG = (...more: string[]) =>
    run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', ...more], {
      timeout: 120_000,
    })
  const ours = [...installLine(printed, true), ...thirdParty.slice(0, 3)]
  const version = async (name: string): Promise<string> => (await run(join(prefix, 'bin', name), ['--version'], { timeout: 10_000 })).stdout
  await npmG(mqttJs)
  await expect(npmG(...ours)).rejects.toThrow(/EEXIST/)
  expect(await version('mqtt')).toBe('MQTT.js\n')
  await npmG('--force', ...ours)
  expect(await version('mqtt')).toContain('(@x/cli)')
  expect(await version('x-mqtt')).toContain('(@x/cli)')
  expect(await version('mqtt_pub')).toBe('MQTT.js\n')
  await npmG('--force', mqttJs)
  expect(await version('mqtt')).toBe('MQTT.js\n')
  expect(await version('x-mqtt')).toContain('(@x/cli)')
}, 120_000)
