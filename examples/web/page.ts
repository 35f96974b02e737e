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
 * Bundled by web-light.ts with esbuild for the browser: no `node:` module gets in.
 */
import { RobustClient } from '@x/robust'

interface Config {
  /** The broker's WebSocket URL, e.g. ws://127.0.0.1:8080/mqtt or ws://test.mosquitto.org:8080. */
  url: string
  topic: string
}

type Link = 'connecting' | 'online' | 'offline'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const light = $<HTMLDivElement>('light')
const lightText = $<HTMLParagraphElement>('light-text')
const button = $<HTMLButtonElement>('switch')
const linkState = $<HTMLSpanElement>('link-state')
const linkDetail = $<HTMLSpanElement>('link-detail')

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

const client = new RobustClient({
  clientId: `web-light-${Math.random().toString(16).slice(2, 10)}`,
  server: config.url,
  keepaliveSec: 10,
  reconnect: { minDelayMs: 250, maxDelayMs: 2000 },
})

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

await client.connect()
await client.subscribe(config.topic, { qos: 1 })
