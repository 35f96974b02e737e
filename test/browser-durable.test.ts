/**
 * Durable sessions in a real browser (contract §7): the web-light page (examples/web-light.ts)
 * keeps what it owes the broker in a LevelStore, which is IndexedDB (browser-level) in headless
 * Chromium. The page's way to the broker (an embedded aedes over WebSocket) goes through a fault
 * proxy: the test takes the broker away from the page, the page publishes (queued, and written to
 * IndexedDB), the page is reloaded, and the broker comes back: every message reaches a Node
 * subscriber on the broker, QoS 2 exactly once, and the reloaded page tells what it restored.
 * The same without the store loses them: the reload is what the store survives.
 * Loopback only.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import { startEmbeddedBroker, type EmbeddedBroker } from '../examples/lib/embedded-broker.js'
import { serveWebLight, type WebLight } from '../examples/web-light.js'
import { startChromium } from './support/chromium.js'
import { storedState } from './support/durable-log.js'
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js'
import { uid } from './support/test-clients.js'
import { sleep, waitFor } from './support/wait.js'

/** QoS 2 messages the page publishes while the broker is away (the switch adds one at QoS 1). */
const COUNT = 20

let broker: EmbeddedBroker
let proxy: FaultProxy
let browser: Browser

beforeAll(async () => {
  broker = await startEmbeddedBroker({ websocket: true })
  proxy = await startFaultProxy({ targetPort: broker.wsPort as number, websocket: true })
  browser = await startChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await proxy?.close()
  await broker?.close()
})

/** A Node client on the broker itself (not behind the proxy), recording `topic: payload` of what it hears. */
async function subscriber(topics: Record<string, 1 | 2>): Promise<{ client: RobustClient; heard: string[] }> {
  const client = new RobustClient({ clientId: uid('durable-page-sub'), server: broker.url, reconnect: { minDelayMs: 50, maxDelayMs: 200 } })
  const heard: string[] = []
  client.on('message', (topic, payload) => heard.push(`${topic}: ${payload.toString()}`))
  await client.connect()
  for (const [topic, qos] of Object.entries(topics)) await client.subscribe(topic, { qos })
  return { client, heard }
}

/**
 * The keys of the page's IndexedDB database, read with the browser's own IndexedDB API (not
 * through level): what is really written. browser-level names the database `level-js-<location>`
 * and its one object store `<location>`, and keeps keys as bytes.
 */
/** What the page's store holds in IndexedDB: its keys and values, read in the page. */
function storedEntries(page: Page, clientId: string): Promise<Array<[string, number[]]>> {
  // Run in the page (a string: this file is compiled without the DOM's types).
  return page.evaluate<Array<[string, number[]]>>(`(async (name) => {
    // indexedDB.open() of a database that does not exist would create it empty (and break level's open).
    if (!(await indexedDB.databases()).some((db) => db.name === 'level-js-' + name)) return []
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('level-js-' + name)
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    const all = (method) =>
      new Promise((resolve, reject) => {
        const request = db.transaction(name, 'readonly').objectStore(name)[method]()
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
    try {
      // In one order: both by key.
      const [keys, values] = [await all('getAllKeys'), await all('getAll')]
      return keys.map((key, i) => [
        typeof key === 'string' ? key : new TextDecoder().decode(key),
        Array.from(new Uint8Array(values[i].buffer ?? values[i], values[i].byteOffset ?? 0, values[i].byteLength)),
      ])
    } finally {
      db.close()
    }
  })(${JSON.stringify(clientId)})`)
}

/** How many messages the page's store holds, replayed here as @x/robust would at connect(). */
async function storedMessages(page: Page, clientId: string): Promise<number> {
  const entries = await storedEntries(page, clientId)
  const state = await storedState({
    scan: async (prefix) => entries.filter(([key]) => key.startsWith(prefix)).map(([key, bytes]) => [key, Uint8Array.from(bytes)]),
  })
  return state.messages.length
}

/** Polls `done` (which asks the page) every 50 ms until it holds; fails after `timeoutMs`. */
async function until(done: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

const linkIs = (page: Page, state: 'online' | 'offline', timeout = 10_000) =>
  page.locator(`body[data-link="${state}"]`).waitFor({ timeout })

/**
 * The page online, then the broker away (the proxy refuses, and cuts the page's link), the switch
 * clicked and COUNT QoS 2 messages published from the page, `beforeReload` (the stored check),
 * the page reloaded (still offline): `afterReload` runs on it, then the broker comes back.
 */
async function reloadWhileDown(
  web: WebLight,
  context: BrowserContext,
  log: string,
  steps: { beforeReload: (page: Page, clientId: string) => Promise<void>; afterReload: (page: Page, clientId: string) => Promise<void> },
): Promise<Page> {
  const page = await context.newPage()
  await page.goto(web.pageUrl)
  await linkIs(page, 'online')
  const clientId = await page.evaluate<string>('webLight.clientId')

  await proxy.refuse()
  proxy.cut()
  await linkIs(page, 'offline')
  await page.locator('#switch').click() // QoS 1, retained: 'ON' (the light is unknown, so the switch offers "on")
  await page.evaluate(
    ([topic, count]) => {
      const { client } = (globalThis as unknown as { webLight: { client: RobustClient } }).webLight
      // Their promises die with the page: what becomes of them is the reloaded page's 'delivered'.
      for (let i = 0; i < count; i++) void client.publish(topic, `m-${i}`, { qos: 2, id: `m-${i}` }).catch(() => {})
    },
    [log, COUNT] as const,
  )
  await page.waitForFunction(`webLight.client.queued === ${COUNT + 1}`, undefined, { timeout: 5_000 })
  await steps.beforeReload(page, clientId)

  await page.reload()
  await page.locator('#topic', { hasText: web.topic }).waitFor({ timeout: 10_000 })
  // The same tab is the same client (sessionStorage), so it finds the same store.
  expect(await page.evaluate<string>('webLight.clientId')).toBe(clientId)
  await page.waitForFunction('Number(document.body.dataset.attempt) >= 1', undefined, { timeout: 10_000 })
  await steps.afterReload(page, clientId)
  await proxy.accept()
  await linkIs(page, 'online')
  return page
}

test("messages the page published while the broker was away survive a reload (real IndexedDB): after it and the broker's return each arrives, QoS 2 exactly once, and the page says what it restored", async () => {
  const web = await serveWebLight({ port: 0, url: proxy.url, topic: uid('browser-durable/living_room/light') })
  const log = `${web.topic}/log`
  const node = await subscriber({ [web.topic]: 1, [log]: 2 })
  const context = await browser.newContext()
  try {
    const page = await reloadWhileDown(web, context, log, {
      beforeReload: async (page, clientId) => {
        // Written ahead: all of them are in IndexedDB before the reload.
        await until(async () => (await storedMessages(page, clientId)) === COUNT + 1, 'the queued messages in IndexedDB')
      },
      afterReload: async (page, clientId) => {
        expect(await storedMessages(page, clientId)).toBe(COUNT + 1)
        // 'restored' comes when connect() has read the store, before any connection succeeds.
        await page.locator('body[data-restored]').waitFor({ state: 'attached', timeout: 10_000 })
        expect(JSON.parse((await page.evaluate<string>('document.body.dataset.restored')) ?? '')).toEqual({
          queued: COUNT + 1,
          inFlight: 0,
          inbound: 0,
          subscriptions: 1,
        })
        expect(await page.locator('#restored').innerText()).toBe(
          `Kept across the reload: ${COUNT + 1} messages to send (${COUNT + 1} queued, 0 in flight)`,
        )
        expect(node.heard).toEqual([])
      },
    })
    await page.waitForFunction(`document.body.dataset.delivered === '${COUNT + 1}'`, undefined, { timeout: 10_000 })
    await waitFor(() => node.heard.length >= COUNT + 1, 'every message at the Node subscriber', 10_000)
    expect(await page.locator('#restored').innerText()).toBe(`Kept across the reload: ${COUNT + 1} of ${COUNT + 1} sent`)
    // A duplicate would come right behind: give it time to show.
    await sleep(500)
    // QoS 2: each exactly once, in the order published; QoS 1 (the switch): at least once. The
    // broker does not keep an order between the two QoS flows.
    expect(node.heard.filter((line) => line.startsWith(`${log}: `))).toEqual(Array.from({ length: COUNT }, (_, i) => `${log}: m-${i}`))
    expect(node.heard.filter((line) => !line.startsWith(`${log}: `))).toContain(`${web.topic}: ON`)
    expect(new Set(node.heard.filter((line) => !line.startsWith(`${log}: `)))).toEqual(new Set([`${web.topic}: ON`]))
    // Delivered: they left the store.
    const clientId = await page.evaluate<string>('webLight.clientId')
    await until(async () => (await storedMessages(page, clientId)) === 0, 'the delivered messages out of the store')
    // And the reloaded page is the light as before: the retained ON it published is what it shows.
    await page.locator('#light[data-state="ON"]').waitFor({ timeout: 10_000 })
  } finally {
    await proxy.accept()
    await context.close()
    await node.client.close()
    await web.close()
  }
}, 60_000)

test('control: the same page without the store loses what it published while the broker was away when it is reloaded', async () => {
  const web = await serveWebLight({ port: 0, url: proxy.url, topic: uid('browser-durable/living_room/light'), store: false })
  const log = `${web.topic}/log`
  const node = await subscriber({ [web.topic]: 1, [log]: 2 })
  const context = await browser.newContext()
  try {
    const page = await reloadWhileDown(web, context, log, {
      beforeReload: async (page, clientId) => expect(await storedEntries(page, clientId)).toEqual([]),
      afterReload: async (page) => expect(await page.evaluate('document.body.dataset.restored')).toBeUndefined(),
    })
    // Online and subscribed again: anything owed would have gone by now.
    await page.locator('#switch:enabled').waitFor({ timeout: 10_000 })
    await sleep(1000)
    expect(node.heard).toEqual([])
    expect(await page.locator('#light').getAttribute('data-state')).toBe('unknown')
  } finally {
    await proxy.accept()
    await context.close()
    await node.client.close()
    await web.close()
  }
}, 60_000)
