/**
 * mqtt pub / mqtt sub on MQTT 5 against the mosquitto daemon (default configuration; one listener
 * with an ACL file for the refusals): -D properties carried end to end and printed by -F, -x
 * keeping a session, -d showing reason codes and properties, refusals reported with their code.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { freePort, startMosquitto, type Mosquitto } from '@x/test-support/mosquitto.js'
import { start } from '@x/test-support/processes.js'
import { folder, mqtt, subscriber } from './support/in-process.js'

let mosquitto: Mosquitto
let at: string[]
/** A listener where anonymous clients may use open/# only (mosquitto's acl_file). */
let acl: string[]
beforeAll(async () => {
  const aclFile = join(folder, 'acl')
  writeFileSync(aclFile, 'topic readwrite open/#\n')
  const aclPort = await freePort()
  mosquitto = await startMosquitto({
    verbose: true,
    settings: [`listener ${aclPort} 127.0.0.1`, 'allow_anonymous true', `acl_file ${aclFile}`, ''],
  })
  at = ['-h', '127.0.0.1', '-p', String(mosquitto.ports.plain), '-V', '5']
  acl = ['-h', '127.0.0.1', '-p', String(aclPort), '-V', '5']
})
afterAll(() => mosquitto?.stop())

const pub = async (argv: string[], where = at) => {
  const result = await mqtt(['pub', ...where, ...argv]).done
  expect(result, argv.join(' ')).toMatchObject({ code: 0, stderr: '' })
}

describe('properties end to end', () => {
  test('mqtt pub -D publish user-property / content-type arrive at mosquitto_sub -V 5 -F', async () => {
    const subscribed = mosquitto.waitForLog('Sending SUBACK to their-sub')
    const their = start('mosquitto_sub', [...at, '-i', 'their-sub', '-t', 'v5/theirs', '-F', '%P|%C|%p', '-C', '1', '-W', '10'], {
      timeoutMs: 15_000,
    })
    try {
      await subscribed
      await pub(['-t', 'v5/theirs', '-m', 'hi', '-D', 'publish', 'user-property', 'a', 'b', '-D', 'publish', 'content-type', 'text/plain'])
      expect(await their.finished).toMatchObject({ code: 0, stdout: 'a:b|text/plain|hi\n' })
    } finally {
      await their.stop()
    }
  })

  // mqtt sub runs on @x/robust: its 'message' listener gets the PUBLISH properties (CONTRACT §6).
  test('pub -D publish user-property a b is printed by sub -F %P', async () => {
    const sub = await subscriber(at, ['-t', 'v5/users', '-F', '%P %t %p', '-C', '2', '-W', '10'], 'v5/users')
    await pub(['-t', 'v5/users', '-m', 'one', '-D', 'publish', 'user-property', 'a', 'b'])
    await pub([
      '-t',
      'v5/users',
      '-m',
      'two',
      '-q',
      '1',
      '-D',
      'publish',
      'user-property',
      'a',
      'b',
      '-D',
      'publish',
      'user-property',
      'a',
      'c',
    ])
    expect((await sub.done).stdout).toBe('a:b v5/users one\na:b a:c v5/users two\n')
  })

  test('request and response: -F %R %D print the response topic and correlation data, answered to them', async () => {
    // Ends both subscribers however the test ends (no timer left running).
    const stop = new AbortController()
    const requests = await subscriber(at, ['-t', 'v5/request', '-F', '%R %D %C %E %F %p', '-C', '1', '-W', '10'], 'v5/request', stop.signal)
    const responses = await subscriber(at, ['-t', 'v5/response/+', '-F', '%D %t %p', '-C', '1', '-W', '10'], 'v5/response/+', stop.signal)
    onTestFinished(async () => {
      stop.abort()
      await Promise.all([requests.done, responses.done])
    })
    await pub([
      ...['-t', 'v5/request', '-m', 'ping', '-q', '1', '-D', 'publish', 'response-topic', 'v5/response/me'],
      ...['-D', 'publish', 'correlation-data', 'id-42', '-D', 'publish', 'content-type', 'text/plain'],
      ...['-D', 'publish', 'message-expiry-interval', '60', '-D', 'publish', 'payload-format-indicator', '1'],
    ])
    const line = (await requests.done).stdout
    // mosquitto passes the remaining expiry interval on: 60, or 59 if a second went by.
    expect(line).toMatch(/^v5\/response\/me id-42 text\/plain (60|59) 1 ping\n$/)
    const [responseTopic, correlation] = line.split(' ') as [string, string]
    await pub(['-t', responseTopic, '-m', 'pong', '-D', 'publish', 'correlation-data', correlation])
    expect((await responses.done).stdout).toBe('id-42 v5/response/me pong\n')
  })
})

describe('-x: session expiry', () => {
  const session = (id: string, expiry: string) => ['-t', `v5/session/${id}`, '-q', '1', '-c', '-i', id, '-x', expiry]

  test('-c -x 60: the broker keeps the session; what was published meanwhile arrives at the next run', async () => {
    const first = await subscriber(at, [...session('keep', '60'), '-C', '1', '-W', '10'], 'v5/session/keep')
    await pub(['-t', 'v5/session/keep', '-m', 'while here', '-q', '1'])
    expect((await first.done).stdout).toBe('while here\n')
    await pub(['-t', 'v5/session/keep', '-m', 'while away', '-q', '1'])
    const second = await mqtt(['sub', ...at, ...session('keep', '60'), '-C', '1', '-W', '10']).done
    expect(second).toMatchObject({ code: 0, stdout: 'while away\n' })
  })

  test('-c -x 0: the session ends with the connection; nothing is kept', async () => {
    const first = await subscriber(at, [...session('drop', '0'), '-C', '1', '-W', '10'], 'v5/session/drop')
    await pub(['-t', 'v5/session/drop', '-m', 'while here', '-q', '1'])
    expect((await first.done).stdout).toBe('while here\n')
    await pub(['-t', 'v5/session/drop', '-m', 'while away', '-q', '1'])
    const second = await mqtt(['sub', ...at, '-t', 'v5/session/drop', '-q', '1', '-c', '-i', 'drop', '-x', '0', '-C', '1', '-W', '1']).done
    expect(second).toMatchObject({ code: 27, stdout: '' })
  })
})

describe('-d and refusals', () => {
  test('-d shows the reason codes and properties of the packets', async () => {
    const result = await mqtt(['pub', ...at, '-d', '-t', 'v5/debug', '-m', 'x', '-q', '1', '-D', 'publish', 'user-property', 'k', 'v']).done
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/received CONNACK \(session present 0, 0x00 success, properties \{.*\}\)/)
    expect(result.stderr).toContain('sending PUBLISH (d0, q1, r0, m1, "v5/debug", 1 bytes, properties {userProperties: {"k":"v"}})')
    // No subscriber: mosquitto says so in the PUBACK.
    expect(result.stderr).toContain('received PUBACK (m1, 0x10 no matching subscribers)')
  })

  test('a publish the broker refuses (ACL: PUBACK 0x87): exit 5 with the reason code in words', async () => {
    const result = await mqtt(['pub', ...acl, '-t', 'secret/x', '-m', 'x', '-q', '1']).done
    expect(result.code).toBe(5)
    expect(result.stderr).toContain('mqtt pub: the broker refused 1 message(s) to "secret/x": PUBACK 0x87 not authorized')
    await pub(['-t', 'open/x', '-m', 'x', '-q', '1'], acl)
  })

  test('a CONNACK refusal prints the reason code (bad password: mosquitto 2.0.11 answers 0x87, exit 5)', async () => {
    const password = ['-h', '127.0.0.1', '-p', String(mosquitto.ports.password), '-V', '5']
    const result = await mqtt(['sub', ...password, '-t', 'a', '-u', 'alice', '-P', 'wrong', '-W', '5']).done
    expect(result.code).toBe(5)
    expect(result.stderr).toContain('the broker refused the login: not authorized (CONNACK 5); reason code 0x87 not authorized')
  })
})
