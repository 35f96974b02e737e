/**
 * The living-room light as a web page (seed 001's light, with seed 003's switch): @x/robust in
 * the browser, over the page's own WebSocket. The light shows what the topic says (retained, so a
 * new page sees the current state at once); the switch publishes the other state; a broker that
 * goes away and comes back is reconnected to, and the subscription renewed, by the client.
 *
 * Bundled by web-light.ts with esbuild for the browser: no `node:` module gets in.
 */
import { RobustClient } from '@x/robust'

interface Config {
  /** The broker's WebSocket URL, e.g. ws://127.0.0.1:8080/mqtt or ws://test.mosquitto.org:8080. */
  url: string
  topic: string
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const light = $<HTMLDivElement>('light')
const button = $<HTMLButtonElement>('switch')
const status = $<HTMLParagraphElement>('status')

const config = (await (await fetch('config.json')).json()) as Config
$('topic').textContent = config.topic

const client = new RobustClient({
  clientId: `web-light-${Math.random().toString(16).slice(2, 10)}`,
  server: config.url,
  keepaliveSec: 10,
  reconnect: { minDelayMs: 250, maxDelayMs: 2000 },
})

/** What the page shows, for people and for the browser test (data- attributes). */
function show(text: string, state: 'connected' | 'offline' | 'reconnecting'): void {
  status.textContent = text
  document.body.dataset['link'] = state
}

let connects = 0
client.on('connect', () => {
  document.body.dataset['connects'] = String(++connects)
  show(`connected to ${config.url}`, 'connected')
  button.disabled = false
})
client.on('disconnect', (error) => show(`connection lost: ${error.message}`, 'offline'))
client.on('reconnecting', ({ attempt, delayMs }) => show(`reconnecting (attempt ${attempt}, in ${delayMs} ms)…`, 'reconnecting'))
client.on('error', (error) => show(`error: ${String(error)}`, 'offline'))
client.on('message', (topic, payload) => {
  if (topic !== config.topic) return
  const state = payload.toString() === 'ON' ? 'ON' : 'OFF'
  light.dataset['state'] = state
  button.textContent = state === 'ON' ? 'Switch off' : 'Switch on'
})

button.addEventListener('click', () => {
  const next = light.dataset['state'] === 'ON' ? 'OFF' : 'ON'
  // Retained, so the next page to open sees it; QoS 1: queued by the client while offline.
  void client
    .publish(config.topic, next, { qos: 1, retain: true })
    .catch((error: unknown) => show(`publish failed: ${String(error)}`, 'offline'))
})

await client.connect()
await client.subscribe(config.topic, { qos: 1 })
