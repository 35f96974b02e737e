/**
 * The mosquitto harness itself: the daemon others build on must really listen where it says,
 * enforce each listener's settings, restart on the same ports, and leave nothing behind.
 */
import { existsSync } from 'node:fs'
import net from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { MqttClient } from '@x/simple'
import { LISTENERS, startMosquitto, type Mosquitto } from './support/mosquitto.js'

let mosquitto: Mosquitto

beforeAll(async () => {
  mosquitto = await startMosquitto()
})

afterAll(async () => {
  await mosquitto?.stop()
})

/** Whether a TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => resolve(true))
    socket.once('error', () => resolve(false))
    socket.once('connect', () => socket.destroy())
  })
}

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('every listener has its own free loopback port, accepting connections', async () => {
  const ports = LISTENERS.map((name) => mosquitto.ports[name])
  expect(new Set(ports).size).toBe(LISTENERS.length)
  for (const port of ports) expect(await accepts(port)).toBe(true)
  expect(mosquitto.urls.plain).toBe(`mqtt://127.0.0.1:${mosquitto.ports.plain}`)
  expect(mosquitto.urls.tls).toBe(`mqtts://localhost:${mosquitto.ports.tls}`)
  expect(running(mosquitto.pid)).toBe(true)
})

test('the plain listener takes anonymous clients; the password listener does not', async () => {
  const plain = new MqttClient({ clientId: 'harness-plain', server: mosquitto.urls.plain })
  expect(await plain.connect()).toBe(false)
  await plain.disconnect()
  const anonymous = new MqttClient({ clientId: 'harness-anon', server: mosquitto.urls.password })
  await expect(anonymous.connect()).rejects.toMatchObject({ name: 'MqttError' })
  await anonymous.disconnect()
})

test('restart() stops the daemon and serves the same ports again from a new process', async () => {
  const before = mosquitto.pid
  await mosquitto.restart()
  expect(mosquitto.pid).not.toBe(before)
  expect(running(before)).toBe(false)
  const client = new MqttClient({ clientId: 'harness-restart', server: mosquitto.urls.plain })
  expect(await client.connect()).toBe(false)
  await client.disconnect()
})

test('stop() ends the process and removes its folder; a second stop() is harmless', async () => {
  const other = await startMosquitto()
  const { pid, dir } = other
  expect(other.ports.plain).not.toBe(mosquitto.ports.plain)
  expect(existsSync(other.configFile)).toBe(true)
  await other.stop()
  expect(running(pid)).toBe(false)
  expect(existsSync(dir)).toBe(false)
  expect(existsSync(other.certs.dir)).toBe(false)
  expect(await accepts(other.ports.plain)).toBe(false)
  await other.stop()
})

test('a session survives restart() when persistence is on', async () => {
  const persistent = await startMosquitto({ persistence: true })
  try {
    const client = new MqttClient({ clientId: 'harness-persist', server: persistent.urls.plain })
    expect(await client.connect({ cleanSession: false })).toBe(false)
    await client.disconnect()
    await persistent.restart()
    expect(await client.connect({ cleanSession: false })).toBe(true)
    await client.disconnect()
  } finally {
    await persistent.stop()
  }
})
