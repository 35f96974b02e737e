/**
 * The web page example in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core: see support/chromium.ts) loads the page served by examples/web-light.ts, whose
 * @x/robust client runs over the browser's own WebSocket to the embedded broker on the same port.
 * The page says in words what it shows (the light, the connection); clicking the switch reaches a
 * Node subscriber; a Node publisher moves the light; the page rides out a broker restart.
 * Loopback only.
 */
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { serveWebLight, type WebLight } from '../examples/web-light.js'
import { startChromium } from './support/chromium.js'
import { run, shellEnv } from './support/processes.js'
import { uid } from './support/test-clients.js'
import { waitFor, withDeadline } from './support/wait.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

let web: WebLight
let browser: Browser

beforeAll(async () => {
  web = await serveWebLight({ port: 0, topic: uid('browser/living_room/light') })
  browser = await startChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await web?.close()
})

/** A Node client on the broker's plain MQTT port, recording what it hears on the light's topic. */
async function nodeClient(): Promise<{ client: RobustClient; heard: string[] }> {
  const client = new RobustClient({
    clientId: uid('node-side'),
    server: web.tcpUrl as string,
    reconnect: { minDelayMs: 50, maxDelayMs: 200 },
  })
  const heard: string[] = []
  client.on('message', (_topic, payload) => heard.push(payload.toString()))
  await client.connect()
  await client.subscribe(web.topic, { qos: 1 })
  return { client, heard }
}

/** A page of `url` for the length of `use`; closed after (its MQTT client with it). */
async function withPage(url: string, use: (page: Page) => Promise<void>): Promise<void> {
  const page = await browser.newPage()
  try {
    await page.goto(url)
    await use(page)
  } finally {
    await page.close()
  }
}

const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText()
const linkIs = (page: Page, state: 'connecting' | 'online' | 'offline', timeout = 10_000) =>
  page.locator(`body[data-link="${state}"]`).waitFor({ timeout })
const lightIs = (page: Page, state: 'ON' | 'OFF') => page.locator(`#light[data-state="${state}"]`).waitFor({ timeout: 10_000 })

test('before any message the page says what it shows: a heading, the light "unknown until the first message", and "connecting", then "offline" with the reconnect attempts', async () => {
  // A listener that takes the connection and never answers: the page stays "connecting"; once it
  // is gone, attempts fail and the page says "offline" with each attempt.
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => void sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/mqtt`
  const unreachable = await serveWebLight({ port: 0, url, topic: uid('browser/unknown') })
  try {
    await withPage(unreachable.pageUrl, async (page) => {
      await page.locator('#topic', { hasText: unreachable.topic }).waitFor({ timeout: 10_000 })
      expect(await text(page, 'h1')).toBe('Living-room light')
      expect(await text(page, '#light-text')).toBe('The light: unknown until the first message')
      expect(await page.locator('#light').getAttribute('aria-labelledby')).toBe('light-text')
      expect(await text(page, '#switch')).toBe('Switch on')
      expect(await page.locator('#switch').isDisabled()).toBe(true)
      await waitFor(() => sockets.size > 0, 'the page to open its WebSocket', 10_000, 20)
      expect(await text(page, '#link')).toBe(`connecting to ${url}…`)

      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
      await linkIs(page, 'offline')
      await page.waitForFunction('Number(document.body.dataset.attempt) >= 2', undefined, { timeout: 15_000 })
      expect(await text(page, '#link')).toMatch(new RegExp(`^offline reconnecting to ${url}: attempt \\d+ after \\d+ ms \\(.+\\)$`))
      expect(await text(page, '#light-text')).toBe('The light: unknown until the first message')
    })
  } finally {
    for (const socket of sockets) socket.destroy()
    silent.close()
    await unreachable.close()
  }
}, 40_000)

test('the page connects over WebSocket and says "online"; its switch reaches a Node subscriber, and a Node publisher moves its light, in words too', async () => {
  const node = await nodeClient()
  try {
    await withPage(web.pageUrl, async (page) => {
      await linkIs(page, 'online')
      expect(await text(page, '#link')).toBe(`online connected to ${web.brokerUrl}`)
      expect(await text(page, '#light-text')).toBe('The light: unknown until the first message')
      await page.locator('#switch').click()
      await waitFor(() => node.heard.includes('ON'), 'ON at the Node subscriber')
      await lightIs(page, 'ON')
      expect(await text(page, '#light-text')).toBe('The light is on')
      expect(await text(page, '#switch')).toBe('Switch off')
      await node.client.publish(web.topic, 'OFF', { qos: 1, retain: true })
      await lightIs(page, 'OFF')
      expect(await text(page, '#light-text')).toBe('The light is off')
      expect(await text(page, '#switch')).toBe('Switch on')
      await waitFor(() => node.heard.length === 2, 'OFF at the Node subscriber')
      expect(node.heard).toEqual(['ON', 'OFF'])
    })
  } finally {
    await node.client.close()
  }
})

test('@x/robust in the page survives a broker restart: "offline", then "online" again, resubscribed, and both directions work again', async () => {
  await withPage(web.pageUrl, async (page) => {
    await linkIs(page, 'online')
    // Every state the page shows, recorded as it changes: the outage may be shorter than a poll.
    await page.evaluate(`
      window.linkStates = []
      new MutationObserver(() => window.linkStates.push(document.body.dataset.link)).observe(document.body, {
        attributes: true,
        attributeFilter: ['data-link'],
      })`)
    const before = Number(await page.evaluate<string>('document.body.dataset.connects'))
    await web.restartBroker()
    // The restarted broker has no sessions and no retained messages: the page must subscribe again by itself.
    await page.waitForFunction(`Number(document.body.dataset.connects) > ${before} && document.body.dataset.link === 'online'`, undefined, {
      timeout: 20_000,
    })
    const states = await page.evaluate<string[]>('window.linkStates')
    expect(states[0]).toBe('offline')
    expect(states.at(-1)).toBe('online')
    const node = await nodeClient()
    try {
      await node.client.publish(web.topic, 'ON', { qos: 1 })
      await lightIs(page, 'ON')
      await page.locator('#switch').click()
      await waitFor(() => node.heard.includes('OFF'), 'OFF from the page after the restart', 10_000)
      await lightIs(page, 'OFF')
    } finally {
      await node.client.close()
    }
  })
}, 40_000)

/** `npx -y pnpm@10 <pnpm…> --filter @x/examples run web-light --port 0` in a process group of its own, as a terminal runs it. */
function webLightCommand(pnpm: string[]) {
  const server = spawn('npx', ['-y', 'pnpm@10', ...pnpm, '--filter', '@x/examples', 'run', 'web-light', '--port', '0'], {
    cwd: ROOT,
    env: shellEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = { stdout: '', stderr: '' }
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk))
  server.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk))
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => server.once('exit', (...end) => resolve(end)))
  const group = server.pid as number
  return {
    out,
    started: () => waitFor(() => /Ctrl-C stops the server/.test(out.stdout), 'the server to start', 45_000, 50),
    /** Ctrl-C: SIGINT to every process of the group (npx, pnpm, tsx, node), as a terminal sends it. */
    ctrlC: () => {
      process.kill(-group, 'SIGINT')
      return withDeadline(exited, 10_000, 'the server to stop on Ctrl-C')
    },
    kill: async () => {
      try {
        process.kill(-group, 'SIGKILL')
      } catch {
        // already gone
      }
      await exited
    },
  }
}

test('the command of the examples README serves the page; the command it prints switches the light; Ctrl-C stops it quietly', async () => {
  const server = webLightCommand(['-s'])
  try {
    await server.started()
    const { stdout } = server.out
    const pageUrl = (/Open (http:\S+) in a browser/.exec(stdout) as RegExpExecArray)[1] as string
    const html = await (await fetch(pageUrl)).text()
    expect(html).toContain('<script type="module" src="page.js">')
    const script = await (await fetch(new URL('page.js', pageUrl))).text()
    expect(script).not.toMatch(/from\s*["']node:|require\(["']node:/)
    const config = (await (await fetch(new URL('config.json', pageUrl))).json()) as { url: string }
    expect(config.url).toBe(`${pageUrl.replace('http:', 'ws:')}mqtt`)

    // The printed command, pasted as it is: the server sees the light go on.
    const command = (/^Switch it from a terminal: (.+)$/m.exec(stdout) as RegExpExecArray)[1] as string
    const switched = await run('bash', ['-c', command], { cwd: ROOT, env: shellEnv(), timeoutMs: 30_000 })
    expect(switched.code, switched.stderr).toBe(0)
    await waitFor(() => server.out.stdout.includes('light: ON'), 'the server to see the light go on', 10_000, 20)

    const [code, signal] = await server.ctrlC()
    expect(server.out.stdout).toMatch(/Stopped\.\n$/)
    // Quiet, and the shell's 130 for Ctrl-C (npx ends by the signal, as it should).
    expect(server.out.stderr).toBe('')
    expect(code === 130 || signal === 'SIGINT', `exit ${code} ${signal}`).toBe(true)
  } finally {
    await server.kill()
  }
}, 90_000)

test('without -s too, Ctrl-C ends with "Stopped." and no pnpm error after it (the script execs tsx: no shell to die of SIGINT)', async () => {
  const server = webLightCommand([])
  try {
    await server.started()
    await server.ctrlC()
    expect(server.out.stdout).toMatch(/Stopped\.\n$/)
    expect(server.out.stdout + server.out.stderr).not.toMatch(/ERR_PNPM|SIGINT/)
  } finally {
    await server.kill()
  }
}, 90_000)
