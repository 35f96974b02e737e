/**
 * The living-room light as a web page (seed 001's light, with seed 003's switch): @x/robust in
 * the browser, over the page's own WebSocket. The light shows what the topic says (retained, so a
 * new page sees the current state at once); the switch publishes the other state; a broker that
 * goes away and comes back is reconnected to, and the subscription renewed, by the client.
 *
 * The page says everything in words as well as in colour: the light's state ("on", "off", or
 * unknown until the first message) and the connection's (connecting, online, or offline with the
 * reconnect attempt), so that a newcomer knows what the grey disc means before any message.
 *
 * What the switch publishes while the broker is away is kept in IndexedDB (a LevelStore named after
 * the client id, which the tab keeps in sessionStorage): a reload of the page, or a crash of the
 * tab, loses none of it; the page says how many came back, and they go once the broker is back.
 *
 * Bundled by web-light.ts with esbuild for the browser: no `node:` module gets in.
 */
import { LevelStore } from '@x/level-store'
import { RobustClient } from '@x/robust'

interface Config {
  /** The broker's WebSocket URL, e.g. ws://127.0.0.1:8080/mqtt or ws://test.mosquitto.org:8080. */
  url: string
  topic: string
  /** Keep what is owed to the broker in IndexedDB (default); false: in memory, lost on reload. */
  store?: boolean
}

type Link = 'connecting' | 'online' | 'offline'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const light = $<HTMLDivElement>('light')
const lightText = $<HTMLParagraphElement>('light-text')
const button = $<HTMLButtonElement>('switch')
const linkState = $<HTMLSpanElement>('link-state')
const linkDetail = $<HTMLSpanElement>('link-detail')
const restoredText = $<HTMLParagraphElement>('restored')

/** The connection, for people (the words) and for the browser test (data-link on <body>). */
function showLink(state: Link, detail: string): void {
  linkState.textContent = state
  linkDetail.textContent = detail
  document.body.dataset['link'] = state
}

/** The light, in colour (data-state) and in words; the button offers the other state. */
function showLight(state: 'ON' | 'OFF'): void {
  light.dataset['state'] = state
  lightText.textContent = `The light is ${state === 'ON' ? 'on' : 'off'}`
  button.textContent = state === 'ON' ? 'Switch off' : 'Switch on'
}

const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error))

const config = (await (await fetch('config.json')).json()) as Config
$('topic').textContent = config.topic
showLink('connecting', `to ${config.url}…`)

/**
 * One client id per tab, kept across reloads (sessionStorage): the same id finds the same store
 * after a reload, and another tab is another client (two tabs sharing an id would take the
 * broker's session from each other, and write to one store at once).
 */
function tabClientId(): string {
  const key = 'web-light-client-id'
  const kept = sessionStorage.getItem(key)
  if (kept) return kept
  const id = `web-light-${Math.random().toString(16).slice(2, 10)}`
  sessionStorage.setItem(key, id)
  return id
}

const clientId = tabClientId()
// The IndexedDB database of this client id: what is queued or in flight is written there before it is sent.
const store = config.store === false ? undefined : new LevelStore(clientId)
const client = new RobustClient({
  clientId,
  server: config.url,
  keepaliveSec: 10,
  reconnect: { minDelayMs: 250, maxDelayMs: 2000 },
  // With a store, the broker keeps the session too: a QoS 2 message caught mid-exchange by a
  // reload goes again with its packet id, and stays exactly once.
  ...(store ? { store, cleanSession: false } : {}),
})
// For the browser's console and the browser tests: e.g. webLight.client.publish(topic, 'hello', { qos: 2 }).
Object.assign(globalThis, { webLight: { client, clientId, store } })

let connects = 0
client.on('connect', () => {
  document.body.dataset['connects'] = String(++connects)
  delete document.body.dataset['attempt']
  showLink('online', `connected to ${config.url}`)
  button.disabled = false
})
client.on('disconnect', (error) => showLink('offline', `connection lost: ${reason(error)}`))
client.on('reconnecting', ({ attempt, delayMs, error }) => {
  document.body.dataset['attempt'] = String(attempt)
  const after = delayMs > 0 ? ` after ${delayMs} ms` : ''
  showLink('offline', `reconnecting to ${config.url}: attempt ${attempt}${after} (${reason(error)})`)
})
client.on('error', (error) => (linkDetail.textContent = `error: ${reason(error)}`))
// What a page before this one (a reload, a crashed tab) left owed: read back from the store at connect().
let owed = 0
let delivered = 0
client.on('restored', (info) => {
  document.body.dataset['restored'] = JSON.stringify(info)
  owed = info.queued + info.inFlight
  if (owed > 0)
    restoredText.textContent = `Kept across the reload: ${owed} message${owed === 1 ? '' : 's'} to send (${info.queued} queued, ${info.inFlight} in flight)`
})
// The outcome of each of those (their publish() promises died with the page before).
client.on('delivered', () => {
  document.body.dataset['delivered'] = String(++delivered)
  restoredText.textContent = `Kept across the reload: ${delivered} of ${owed} sent`
})
client.on('message', (topic, payload) => {
  if (topic === config.topic) showLight(payload.toString() === 'ON' ? 'ON' : 'OFF')
})

button.addEventListener('click', () => {
  const next = light.dataset['state'] === 'ON' ? 'OFF' : 'ON'
  // Retained, so the next page to open sees it; QoS 1: queued by the client while offline.
  void client
    .publish(config.topic, next, { qos: 1, retain: true })
    .catch((error: unknown) => (linkDetail.textContent = `publish failed: ${reason(error)}`))
})

try {
  await client.connect() // reads the store back first: ESTORE if IndexedDB cannot be opened
} catch (error) {
  showLink('offline', `cannot connect: ${reason(error)}`)
  throw error
}
await client.subscribe(config.topic, { qos: 1 })
