/**
 * The CLI's messages name its own flags, never the library option behind them: a user of
 * `mqtt pub/sub` who reads "(socketTimeoutMs)" has no such knob; -W is the one to turn. Against a
 * silent TCP listener (accepts, never answers) and a broker that accepts but acknowledges nothing.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { MqttError } from '@x/simple'
import { inCliTerms } from '../src/cli-terms.js'
import { failureOf } from '../src/exit-codes.js'
import { mqtt } from './support/in-process.js'

/** The camelCase option names of @x/simple and @x/robust that a message could leak. */
const LIBRARY_NAMES =
  /\b(socketTimeoutMs|messageTimeoutMs|keepaliveSec|maxPacketBytes|clientId|cleanSession|flushTimeoutMs|stableAfterMs|minDelayMs|maxDelayMs)\b/

let silent: Server
const sockets = new Set<Socket>()
let at: string[]
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket.on('close', () => sockets.delete(socket)))
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  at = ['-h', '127.0.0.1', '-p', String((silent.address() as AddressInfo).port)]
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise((resolve) => silent.close(resolve))
})

test('no CONNACK from a silent listener: the message names -W, not socketTimeoutMs (pub and sub, with and without -W)', async () => {
  const runs = await Promise.all([
    mqtt(['pub', ...at, '-t', 'a', '-m', 'x']).done,
    mqtt(['pub', ...at, '-t', 'a', '-m', 'x', '-W', '1']).done,
    mqtt(['sub', ...at, '-t', 'a', '-W', '1']).done,
  ])
  const [pubDefault, pubShort, sub] = runs
  for (const result of runs) {
    expect(result.code, result.stderr).toBe(4)
    expect(result.stderr).not.toMatch(LIBRARY_NAMES)
  }
  expect(pubDefault?.stderr).toMatch(/No CONNACK from 127\.0\.0\.1:\d+ within 5000 ms \(-W, 5 s at most\)/)
  expect(pubShort?.stderr).toMatch(/No CONNACK from 127\.0\.0\.1:\d+ within 1000 ms \(-W, 5 s at most\)/)
  expect(sub?.stderr).toMatch(/-W/)
}, 20_000)

test('a broker that accepts and then acknowledges nothing: pub -q 1 and sub say -W', async () => {
  const mute = await FakeBroker.start()
  mute.onConnection = async (conn: FakeConnection) => {
    await conn.next('connect')
    conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
  }
  try {
    const where = ['-h', '127.0.0.1', '-p', String(mute.port)]
    const runs = await Promise.all([
      mqtt(['pub', ...where, '-t', 'a', '-m', 'x', '-q', '1', '-W', '1']).done,
      mqtt(['sub', ...where, '-t', 'a', '-q', '1', '-W', '1']).done,
    ])
    for (const result of runs) {
      expect(result.code, result.stderr).not.toBe(0)
      expect(result.stderr).toMatch(/-W/)
      expect(result.stderr).not.toMatch(LIBRARY_NAMES)
    }
  } finally {
    await mute.close()
  }
}, 20_000)

test('every option the CLI sets is named by its flag in a failure message: -W, -k, -i, -c', () => {
  const lost = new MqttError('EACKTIMEOUT', 'No acknowledgement for packet id 3 within 1000 ms (messageTimeoutMs): the link is suspect')
  expect(failureOf(lost, '127.0.0.1:1883').message).toContain('within 1000 ms (-W): the link is suspect')
  const keepalive = new MqttError('EKEEPALIVE', 'Connection to 127.0.0.1:1883: no answer to PINGREQ within 5000 ms (socketTimeoutMs)')
  expect(failureOf(keepalive, '127.0.0.1:1883').message).toMatch(/within 5000 ms \(-W, 5 s at most\)/)
  expect(inCliTerms('Invalid option keepaliveSec: 70000 is out of 0..65535; clientId, cleanSession')).toBe(
    'Invalid option -k: 70000 is out of 0..65535; -i, -c',
  )
})

test("a topic the user typed stays as typed, even when it holds an option's name", async () => {
  expect(inCliTerms('Cannot publish to "devices/clientId/#" (clientId): wildcards')).toBe(
    'Cannot publish to "devices/clientId/#" (-i): wildcards',
  )
  const result = await mqtt(['pub', ...at, '-t', 'devices/clientId/#', '-m', 'x']).done
  expect(result.code, result.stderr).not.toBe(0)
  expect(result.stderr).toContain('"devices/clientId/#"')
})
