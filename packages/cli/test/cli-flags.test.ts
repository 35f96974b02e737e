/**
 * mosquitto_pub / mosquitto_sub's flags beyond the basics, each against aedes: values that start
 * with "-", --repeat, -R, -N, -F, -c with -i, the last will, -W shortening the connection wait,
 * -d showing the packets, --version, and how pub and sub end on Ctrl-C or a closed stdout.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../examples/lib/embedded-broker.js'
import { FakeBroker, type FakeConnection } from '@x/test-support/fake-broker.js'
import { startFaultProxy } from '@x/test-support/fault-proxy.js'
import { run } from '../src/main.js'
import { capture, folder, mqtt, subscriber } from './support/in-process.js'

let broker: EmbeddedBroker
let at: string[]
beforeAll(async () => {
  broker = await startEmbeddedBroker()
  at = ['-h', '127.0.0.1', '-p', String(broker.port)]
})
afterAll(() => broker.close())

const pub = async (argv: string[]) => {
  const result = await mqtt(['pub', ...at, ...argv]).done
  expect(result, argv.join(' ')).toMatchObject({ code: 0, stderr: '' })
  return result
}

/** A scripted broker (test/support's FakeBroker) answering each connection with `script`; `at` is its -h -p. */
async function fakeBroker(script: (conn: FakeConnection) => void | Promise<void>) {
  const broker = await FakeBroker.start()
  broker.onConnection = script
  return Object.assign(broker, { at: ['-h', '127.0.0.1', '-p', String(broker.port)] })
}
const accept = async (conn: FakeConnection): Promise<void> => {
  await conn.next('connect')
  conn.send({ type: 'connack', sessionPresent: false, returnCode: 0 })
}

describe('what is sent', () => {
  test('a message that starts with "-" is the message: -m -5, -m --help, -rm -x', async () => {
    const sub = await subscriber(at, ['-t', 'flags/dash/#', '-v', '-C', '3', '-W', '10'], 'flags/dash/#')
    await pub(['-t', 'flags/dash/1', '-m', '-5'])
    await pub(['-t', 'flags/dash/2', '--message', '--help'])
    await pub(['-t', 'flags/dash/3', '-rm', '-x'])
    expect((await sub.done).stdout).toBe('flags/dash/1 -5\nflags/dash/2 --help\nflags/dash/3 -x\n')
    await pub(['-t', 'flags/dash/3', '-rn']) // clear the retained one
  })

  test('--repeat N sends the message N times, --repeat-delay apart', async () => {
    const sub = await subscriber(at, ['-t', 'flags/repeat', '-C', '3', '-W', '10'], 'flags/repeat')
    const started = Date.now()
    await pub(['-t', 'flags/repeat', '-m', 'again', '-q', '1', '--repeat', '3', '--repeat-delay', '0.1'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(200)
    expect((await sub.done).stdout).toBe('again\nagain\nagain\n')
  })

  test('--will-*: the broker publishes the will when the link dies without DISCONNECT, not after a clean end', async () => {
    const watcher = await subscriber(at, ['-t', 'flags/will', '-v', '-C', '1', '-W', '10'], 'flags/will')
    const proxy = await startFaultProxy({ targetPort: broker.port })
    const ctrlC = new AbortController()
    try {
      const sub = await subscriber(
        ['-h', proxy.host, '-p', String(proxy.port)],
        ['-t', 'flags/will/none', '--will-topic', 'flags/will', '--will-payload', 'gone', '--will-qos', '1'],
        'flags/will/none',
        ctrlC.signal,
      )
      proxy.cut()
      expect((await watcher.done).stdout).toBe('flags/will gone\n')
      ctrlC.abort()
      expect((await sub.done).code).toBe(0)
    } finally {
      ctrlC.abort()
      await proxy.close()
    }
  })
})

describe('how sub prints', () => {
  test('-R: retained messages are neither printed nor counted', async () => {
    await pub(['-t', 'flags/stale', '-m', 'old', '-r', '-q', '1'])
    const sub = await subscriber(at, ['-t', 'flags/stale', '-R', '-C', '1', '-W', '10'], 'flags/stale')
    await pub(['-t', 'flags/stale', '-m', 'new'])
    expect(await sub.done).toMatchObject({ code: 0, stdout: 'new\n' })
    await pub(['-t', 'flags/stale', '-n', '-r'])
  })

  test('-N: no newline after each message', async () => {
    const sub = await subscriber(at, ['-t', 'flags/eol', '-N', '-C', '2', '-W', '10'], 'flags/eol')
    await pub(['-t', 'flags/eol', '-m', 'ab', '-q', '1'])
    await pub(['-t', 'flags/eol', '-m', 'cd', '-q', '1'])
    expect((await sub.done).stdout).toBe('abcd')
  })

  test('-F: the fields, escapes and JSON (base64 for a payload that is not UTF-8)', async () => {
    const sub = await subscriber(
      at,
      ['-t', 'flags/fmt/#', '-q', '1', '-C', '2', '-W', '10', '-i', 'fmt-reader', '-F', '%t|%q|%r|%l|%x|%c|%p|100%%\\t.@@'],
      'flags/fmt/#',
    )
    await pub(['-t', 'flags/fmt/a', '-m', 'hé', '-q', '1'])
    await pub(['-t', 'flags/fmt/b', '-m', 'x'])
    expect((await sub.done).stdout).toBe('flags/fmt/a|1|0|3|68c3a9|fmt-reader|hé|100%\t.@\nflags/fmt/b|0|0|1|78|fmt-reader|x|100%\t.@\n')

    const json = await subscriber(at, ['-t', 'flags/json', '-C', '2', '-W', '10', '-F', '%j'], 'flags/json')
    await pub(['-t', 'flags/json', '-m', '{"a":1}'])
    writeFileSync(join(folder, 'bytes.bin'), Buffer.from([0xff, 0x00]))
    await pub(['-t', 'flags/json', '-f', 'bytes.bin'])
    const lines = (await json.done).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(lines[0]).toMatchObject({ topic: 'flags/json', qos: 0, retain: 0, payloadlen: 7, payload: '{"a":1}' })
    expect(Date.parse(lines[0]?.['tst'] as string)).toBeGreaterThan(Date.now() - 60_000)
    expect(lines[1]).toMatchObject({ payloadlen: 2, payload_base64: '/wA=' })
  })
})

describe('sessions', () => {
  test('-c with -i: what was published while the subscriber was away is delivered when it is back', async () => {
    const persistent = ['-t', 'flags/session', '-q', '1', '-i', 'flags-session', '-c']
    // Subscribe with a session the broker keeps, then leave (-W ends it: 27).
    expect((await (await subscriber(at, [...persistent, '-W', '1'], 'flags/session')).done).code).toBe(27)
    await pub(['-t', 'flags/session', '-m', 'while away', '-q', '1'])
    expect(await mqtt(['sub', ...at, ...persistent, '-C', '1', '-W', '10']).done).toMatchObject({ code: 0, stdout: 'while away\n' })
    // Without -c the broker forgets: nothing waits for the next clean subscriber.
    await pub(['-t', 'flags/session', '-m', 'lost', '-q', '1'])
    expect((await mqtt(['sub', ...at, '-t', 'flags/session', '-i', 'flags-session', '-C', '1', '-W', '1']).done).code).toBe(27)
  })
})

describe('links that fail', () => {
  test('sub reconnects after a lost link and goes on printing; -d says what happened', async () => {
    const proxy = await startFaultProxy({ targetPort: broker.port })
    try {
      const sub = await subscriber(
        ['-h', proxy.host, '-p', String(proxy.port)],
        ['-t', 'flags/again', '-C', '2', '-W', '20'],
        'flags/again',
      )
      await pub(['-t', 'flags/again', '-m', 'before', '-q', '1'])
      await sub.stdout.waitFor('before\n')
      proxy.cut()
      await sub.stderr.waitFor('sending SUBSCRIBE (m2, "flags/again" q0)', 10_000) // subscribed again, the session being clean
      await sub.stderr.waitFor('received SUBACK (m2', 10_000)
      await pub(['-t', 'flags/again', '-m', 'after', '-q', '1'])
      const result = await sub.done
      expect(result).toMatchObject({ code: 0, stdout: 'before\nafter\n' })
      expect(result.stderr).toMatch(/lost the link: .*; reconnecting/)
      expect(result.stderr).toMatch(/reconnecting \(attempt 1, after \d+ ms\)/)
    } finally {
      await proxy.close()
    }
  })

  test('sub against a broker that drops every connection after SUBACK: retries with backoff until -W (27)', async () => {
    const fickle = await fakeBroker(async (conn) => {
      await accept(conn)
      const { pid } = await conn.next('subscribe')
      conn.send({ type: 'suback', pid, returnCodes: [0] })
      setTimeout(() => conn.destroy(), 20)
    })
    try {
      const result = await mqtt(['sub', ...fickle.at, '-t', 'a', '-W', '3']).done
      expect(result.code).toBe(27)
      // The backoff (0.5 s doubling, with jitter) allows only a few attempts in 3 s, not a loop.
      expect(fickle.connections.length).toBeGreaterThanOrEqual(2)
      expect(fickle.connections.length).toBeLessThanOrEqual(5)
    } finally {
      await fickle.close()
    }
  })

  test('-W shortens the wait for a broker that accepts TCP and never answers: exit 4 in about -W', async () => {
    const silent = await fakeBroker(() => {})
    try {
      for (const command of [['pub', '-m', 'x'], ['sub']]) {
        const started = Date.now()
        const result = await mqtt([command[0] as string, ...silent.at, '-t', 'a', ...command.slice(1), '-W', '1']).done
        expect(result.code, result.stderr).toBe(4)
        expect(Date.now() - started).toBeLessThan(3000) // the usual wait is 5 s
      }
    } finally {
      await silent.close()
    }
  })

  test('Ctrl-C: sub exits 0 even while connecting; pub not yet acknowledged exits 130, saying so', async () => {
    const mute = await fakeBroker(accept) // then nothing
    const silent = await fakeBroker(() => {})
    try {
      const ctrlC = new AbortController()
      const connecting = mqtt(['sub', ...silent.at, '-t', 'a'], '', ctrlC.signal)
      setTimeout(() => ctrlC.abort(), 200)
      expect(await connecting.done).toMatchObject({ code: 0, stderr: '' })

      const ctrlC2 = new AbortController()
      const waiting = mqtt(['pub', ...mute.at, '-t', 'a', '-m', 'x', '-q', '1', '-d'], '', ctrlC2.signal)
      await waiting.stderr.waitFor('sending PUBLISH')
      ctrlC2.abort()
      const result = await waiting.done
      expect(result.code).toBe(130)
      expect(result.stderr).toContain('mqtt pub: interrupted (Ctrl-C)')
    } finally {
      await Promise.all([mute.close(), silent.close()])
    }
  })

  test('sub ends cleanly (0, nothing on stderr) when its stdout is closed (EPIPE), as under | head -n 1', async () => {
    let writes = 0
    const closedAfterOne = new Writable({
      write(_chunk, _encoding, done) {
        writes++
        done(writes > 1 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null)
      },
    })
    const stderr = capture()
    const sub = run(['sub', ...at, '-t', 'flags/pipe', '-d'], {
      stdin: process.stdin,
      stdout: closedAfterOne,
      stderr: stderr.stream,
      cwd: folder,
    })
    await stderr.waitFor('subscribed to flags/pipe')
    for (const n of [1, 2, 3]) await pub(['-t', 'flags/pipe', '-m', `m${n}`, '-q', '1'])
    expect(await sub).toBe(0)
    expect(stderr.text()).not.toMatch(/mqtt sub:/)
  })
})

describe('what it says', () => {
  test('-d: every packet sent and received, the password never; without -d, nothing on stderr', async () => {
    const traced = await mqtt(['pub', ...at, '-t', 'flags/d', '-m', 'xyz', '-q', '1', '-d', '-i', 'dbg', '-u', 'u', '-P', 'hunter2']).done
    expect(traced.code).toBe(0)
    const lines = traced.stderr.trim().split('\n')
    expect(lines).toEqual([
      `Client dbg connecting to 127.0.0.1:${broker.port} over TCP`,
      `Client dbg connected to 127.0.0.1:${broker.port}`,
      'Client dbg sending CONNECT (id "dbg", clean session, keepalive 60 s, user "u" with password)',
      'Client dbg received CONNACK (session present 0, 0: accepted)',
      'Client dbg sending PUBLISH (d0, q1, r0, m1, "flags/d", 3 bytes)',
      'Client dbg received PUBACK (m1)',
      'Client dbg sending DISCONNECT',
      'Client dbg closing the connection',
    ])
    expect(traced.stderr).not.toContain('hunter2')
    expect((await mqtt(['pub', ...at, '-t', 'flags/d', '-m', 'xyz', '-q', '1']).done).stderr).toBe('')
  })

  test('--version, for mqtt and for each command', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    for (const argv of [['--version'], ['pub', '--version'], ['sub', '--version']]) {
      expect(await mqtt(argv).done).toMatchObject({ code: 0, stdout: `mqtt ${version} (@x/cli), MQTT 3.1.1 and 5.0\n`, stderr: '' })
    }
  })
})
