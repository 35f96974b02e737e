/**
 * The web page example in a real browser: headless Chromium (Debian's `chromium`, installed by
 * scripts/ensure-test-programs.mjs like mosquitto) loads the page served by examples/web-light.ts,
 * whose @x/robust client runs over the browser's own WebSocket to the embedded broker on the same
 * port. Clicking the switch reaches a Node subscriber; a Node publisher moves the light; the page
 * rides out a broker restart. Loopback only.
 */
import { spawn } from 'node:child_process'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { serveWebLight, type WebLight } from '../examples/web-light.js'
import { startChromium, type Chromium, type Page } from './support/chromium.js'
import { uid } from './support/test-clients.js'
import { waitFor, withDeadline } from './support/wait.js'

let web: WebLight
let chromium: Chromium

beforeAll(async () => {
  web = await serveWebLight({ port: 0, topic: uid('browser/living_room/light') })
  chromium = await startChromium()
}, 60_000)

afterAll(async () => {
  await chromium?.close()
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

const lightIs = (page: Page, state: string) =>
  page.waitFor(`document.getElementById('light').dataset.state === '${state}'`, `the light to show ${state}`)
const click = (page: Page) => page.evaluate("document.getElementById('switch').click()")

test('the page connects over WebSocket; its switch reaches a Node subscriber, and a Node publisher moves its light', async () => {
  const node = await nodeClient()
  try {
    const page = await chromium.open(web.pageUrl)
    await page.waitFor("document.body.dataset.link === 'connected'", 'the page to connect')
    expect(await page.evaluate<string>("document.getElementById('status').textContent")).toBe(`connected to ${web.brokerUrl}`)
    await click(page)
    await waitFor(() => node.heard.includes('ON'), 'ON at the Node subscriber')
    await lightIs(page, 'ON')
    await node.client.publish(web.topic, 'OFF', { qos: 1, retain: true })
    await lightIs(page, 'OFF')
    expect(node.heard).toEqual(['ON', 'OFF'])
  } finally {
    await node.client.close()
  }
})

test('@x/robust in the page survives a broker restart: it reconnects, resubscribes, and both directions work again', async () => {
  const page = await chromium.open(web.pageUrl)
  await page.waitFor("document.body.dataset.link === 'connected'", 'the page to connect')
  const before = Number(await page.evaluate<string>('document.body.dataset.connects'))
  await web.restartBroker()
  // The restarted broker has no sessions and no retained messages: the page must subscribe again by itself.
  await page.waitFor(
    `Number(document.body.dataset.connects) > ${before} && document.body.dataset.link === 'connected'`,
    'the page to reconnect',
    20_000,
  )
  const node = await nodeClient()
  try {
    await node.client.publish(web.topic, 'ON', { qos: 1 })
    await lightIs(page, 'ON')
    await click(page)
    await waitFor(() => node.heard.includes('OFF'), 'OFF from the page after the restart', 10_000)
    await lightIs(page, 'OFF')
  } finally {
    await node.client.close()
  }
})

test('the command of the examples README starts the server and prints the URL; the page and its script are served; Ctrl-C stops it', async () => {
  // `npx -y pnpm@10 --filter @x/examples run web-light` as the README gives it, on a free port, in
  // a process group of its own: Ctrl-C reaches every process of the group, npx, pnpm, tsx and node.
  const server = spawn('npx', ['-y', 'pnpm@10', '--filter', '@x/examples', 'run', 'web-light', '--port', '0'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  server.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  server.stderr.resume()
  const exited = new Promise((resolve) => server.once('exit', resolve))
  const group = server.pid as number
  try {
    await waitFor(() => /Open http:\/\/127\.0\.0\.1:\d+\/ in a browser/.test(stdout), 'the URL', 45_000, 50)
    const pageUrl = (/Open (http:\S+) in a browser/.exec(stdout) as RegExpExecArray)[1] as string
    const html = await (await fetch(pageUrl)).text()
    expect(html).toContain('<script type="module" src="page.js">')
    const script = await (await fetch(new URL('page.js', pageUrl))).text()
    expect(script).not.toMatch(/from\s*["']node:|require\(["']node:/)
    const config = (await (await fetch(new URL('config.json', pageUrl))).json()) as { url: string }
    expect(config.url).toBe(`${pageUrl.replace('http:', 'ws:')}mqtt`)
    process.kill(-group, 'SIGINT')
    await withDeadline(exited, 10_000, 'the server to stop on Ctrl-C')
    expect(stdout).toContain('Stopped.')
  } finally {
    try {
      process.kill(-group, 'SIGKILL')
    } catch {
      // already gone
    }
    await exited
  }
}, 60_000)
