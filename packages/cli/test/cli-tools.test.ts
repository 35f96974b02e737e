/**
 * The mqtt command as a user runs it (its bin, in a child process; once through `pnpm mqtt`)
 * side by side with mosquitto_pub and mosquitto_sub: our pub to their sub and their pub to our
 * sub, against the mosquitto daemon and against aedes; the exit codes for a password-protected
 * mosquitto listener, a closed port and an invalid topic.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../examples/lib/embedded-broker.js'
import { startMosquitto, type Mosquitto } from '@x/test-support/mosquitto.js'
import { closedPort } from '@x/test-support/ports.js'
import { run, start } from '@x/test-support/processes.js'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const BIN = fileURLToPath(new URL('../bin/mqtt.js', import.meta.url))

/** Runs our mqtt command to the end. */
const mqtt = (args: string[], input = '') => run(process.execPath, [BIN, ...args], { cwd: PACKAGE, input, timeoutMs: 20_000 })

let open: Mosquitto
let locked: Mosquitto
let aedes: EmbeddedBroker
let at: string[]
beforeAll(async () => {
  vi.stubEnv('MQTT_URL', undefined)
  ;[open, locked, aedes] = await Promise.all([
    startMosquitto({ verbose: true }),
    startMosquitto({ users: { alice: 's3cret' } }),
    startEmbeddedBroker(),
  ])
  at = ['-h', '127.0.0.1', '-p', String(open.ports.plain)]
})
afterAll(async () => {
  vi.unstubAllEnvs()
  await Promise.all([open?.stop(), locked?.stop(), aedes?.close()])
})

/** The brokers the pub/sub crossings run against, and how to know a client has subscribed. */
const BROKERS = [
  { name: 'mosquitto', port: () => open.ports.plain, subscribed: (clientId: string) => open.waitForLog(`Sending SUBACK to ${clientId}`) },
  {
    name: 'aedes',
    port: () => aedes.port,
    subscribed: (clientId: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${clientId} did not subscribe in time`)), 10_000)
        const seen = (_subs: unknown, client: { id: string }): void => {
          if (client.id !== clientId) return
          clearTimeout(timer)
          aedes.broker.off('subscribe', seen)
          resolve()
        }
        aedes.broker.on('subscribe', seen)
      }),
  },
]

describe.each(BROKERS)('with mosquitto_sub and mosquitto_pub, against $name', (broker) => {
  test('mqtt pub → mosquitto_sub: -m at QoS 1, -l lines at QoS 2, -n', async () => {
    const at = ['-h', '127.0.0.1', '-p', String(broker.port())]
    const subscribed = broker.subscribed(`their-sub-${broker.name}`)
    const sub = start('mosquitto_sub', [...at, '-i', `their-sub-${broker.name}`, '-t', 'ours/#', '-v', '-q', '2', '-C', '4', '-W', '15'], {
      timeoutMs: 20_000,
    })
    try {
      await subscribed
      expect(await mqtt(['pub', ...at, '-t', 'ours/one', '-m', 'hello mosquitto', '-q', '1'])).toMatchObject({ code: 0, stderr: '' })
      expect((await mqtt(['pub', ...at, '-t', 'ours/lines', '-l', '-q', '2'], 'first\nsecond\n')).code).toBe(0)
      expect((await mqtt(['pub', ...at, '-t', 'ours/empty', '-n'])).code).toBe(0)
      const done = await sub.finished
      expect(done.code).toBe(0)
      const messages = done.stdout.split('\n').filter((line) => line.startsWith('ours/'))
      expect(messages).toEqual(['ours/one hello mosquitto', 'ours/lines first', 'ours/lines second', 'ours/empty (null)'])
    } finally {
      await sub.stop()
    }
  })

  test('mosquitto_pub → mqtt sub: -v, wildcard +, QoS 2, -C', async () => {
    const at = ['-h', '127.0.0.1', '-p', String(broker.port())]
    const sub = start(process.execPath, [BIN, 'sub', ...at, '-t', 'theirs/+/x', '-v', '-q', '2', '-C', '2', '-W', '15', '-d'], {
      cwd: PACKAGE,
      timeoutMs: 20_000,
    })
    try {
      await sub.waitFor('subscribed to theirs/+/x (QoS 2 granted)')
      expect((await run('mosquitto_pub', [...at, '-t', 'theirs/a/x', '-m', 'one', '-q', '1'])).code).toBe(0)
      expect((await run('mosquitto_pub', [...at, '-t', 'theirs/a/y', '-m', 'not matched'])).code).toBe(0)
      expect((await run('mosquitto_pub', [...at, '-t', 'theirs/b/x', '-m', 'two', '-q', '2'])).code).toBe(0)
      const done = await sub.finished
      expect(done).toMatchObject({ code: 0, stdout: 'theirs/a/x one\ntheirs/b/x two\n' })
    } finally {
      await sub.stop()
    }
  })

  test('retained: mqtt pub -r, then mosquitto_sub gets it; mosquitto_pub -r, then mqtt sub gets it', async () => {
    const at = ['-h', '127.0.0.1', '-p', String(broker.port())]
    expect((await mqtt(['pub', ...at, '-t', 'kept/ours', '-m', 'from us', '-r', '-q', '1'])).code).toBe(0)
    const theirs = await run('mosquitto_sub', [...at, '-t', 'kept/ours', '-C', '1', '-W', '10'])
    expect(theirs).toMatchObject({ code: 0, stdout: 'from us\n' })
    expect((await run('mosquitto_pub', [...at, '-t', 'kept/theirs', '-m', 'from them', '-r'])).code).toBe(0)
    expect(await mqtt(['sub', ...at, '-t', 'kept/theirs', '-C', '1', '-W', '10'])).toMatchObject({ code: 0, stdout: 'from them\n' })
  })
})

describe('failures, side by side with mosquitto', () => {
  test('a password-protected listener: right password 0, wrong password 5 (as CONNACK says), no user 5', async () => {
    const here = ['-h', '127.0.0.1', '-p', String(locked.ports.password), '-t', 'locked', '-m', 'x']
    expect(await mqtt(['pub', ...here, '-u', 'alice', '-P', 's3cret'])).toMatchObject({ code: 0, stderr: '' })
    const wrong = await mqtt(['pub', ...here, '-u', 'alice', '-P', 'wrong'])
    expect(wrong.code).toBe(5)
    // mosquitto answers a bad password with CONNACK 5 (not authorized) in MQTT 3.1.1.
    expect(wrong.stderr).toMatch(
      /^mqtt pub: the broker refused the login: .*\(CONNACK [45]\) \[ECON(CREDENTIALS|AUTH), errno 2[45]\]\nCheck -u and -P/,
    )
    expect((await mqtt(['sub', '-L', `mqtt://127.0.0.1:${locked.ports.password}/locked`, '-W', '5'])).code).toBe(5)
  })

  test('a closed port: 4; an invalid topic: 3; what mosquitto_pub says about the same, for comparison', async () => {
    const port = String(await closedPort())
    const unreachable = await mqtt(['pub', '-h', '127.0.0.1', '-p', port, '-t', 'a', '-m', 'x'])
    expect(unreachable.code).toBe(4)
    expect(unreachable.stderr).toContain(`cannot reach the broker at 127.0.0.1:${port}`)
    expect((await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-t', 'a', '-m', 'x'])).code).not.toBe(0)

    const invalid = await mqtt(['pub', ...at, '-t', 'a/#', '-m', 'x'])
    expect(invalid.code).toBe(3)
    expect(invalid.stderr).toContain('wildcards are not allowed in topic names [MQTT-3.3.2-2]')
    expect((await run('mosquitto_pub', [...at, '-t', 'a/#', '-m', 'x'])).code).not.toBe(0)
  })

  test('Ctrl-C (SIGINT) ends mqtt sub cleanly with 0, as mosquitto_sub', async () => {
    const sub = start(process.execPath, [BIN, 'sub', ...at, '-t', 'forever', '-d'], { cwd: PACKAGE, timeoutMs: 20_000 })
    try {
      await sub.waitFor('subscribed to forever')
      sub.child.kill('SIGINT')
      expect(await sub.finished).toMatchObject({ code: 0, signal: null, killed: false })
      expect(sub.stderr).not.toMatch(/mqtt sub:/) // no error message
    } finally {
      await sub.stop()
    }
  })

  test('mqtt sub | head -n 1: the first message, then a clean exit (0, nothing on stderr) when head has gone', async () => {
    const pipeline = start(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${BIN}" sub ${at.join(' ')} -i our-sub-head -t head/t -q 1 | head -n 1; echo "exit \${PIPESTATUS[0]}"`,
      ],
      { cwd: PACKAGE, timeoutMs: 20_000 },
    )
    try {
      await open.waitForLog('Sending SUBACK to our-sub-head')
      expect((await run('mosquitto_pub', [...at, '-t', 'head/t', '-m', 'm1', '-q', '1'])).code).toBe(0)
      await pipeline.waitFor('m1')
      // mqtt sub learns that head has gone at its next write (EPIPE), as mosquitto_sub would: keep
      // publishing, a bounded number of times, until the pipeline has ended.
      let ended = false
      void pipeline.finished.finally(() => (ended = true))
      for (let n = 2; n < 50 && !ended; n++) {
        await run('mosquitto_pub', [...at, '-t', 'head/t', '-m', `m${n}`, '-q', '1'])
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      const done = await pipeline.finished
      expect(done.stdout).toBe('m1\nexit 0\n')
      expect(done.stderr).toBe('')
    } finally {
      await pipeline.stop()
    }
  })

  test('mqtt sub across a mosquitto restart: reconnects, subscribes again, goes on printing', async () => {
    const sub = start(process.execPath, [BIN, 'sub', ...at, '-i', 'our-sub-restart', '-t', 'restart/t', '-C', '2', '-W', '30', '-d'], {
      cwd: PACKAGE,
      timeoutMs: 35_000,
    })
    try {
      await sub.waitFor('subscribed to restart/t')
      expect((await run('mosquitto_pub', [...at, '-t', 'restart/t', '-m', 'before'])).code).toBe(0)
      await sub.waitFor('before')
      await open.restart()
      await open.waitForLog('Sending SUBACK to our-sub-restart', 15_000)
      expect((await run('mosquitto_pub', [...at, '-t', 'restart/t', '-m', 'after'])).code).toBe(0)
      const done = await sub.finished
      expect(done).toMatchObject({ code: 0, stdout: 'before\nafter\n' })
      expect(done.stderr).toMatch(/lost the link: .*; reconnecting/)
    } finally {
      await sub.stop()
    }
  }, 40_000)

  test('mqtt sub -W with nothing arriving: 27, as mosquitto_sub', async () => {
    const ours = await mqtt(['sub', ...at, '-t', 'silent', '-W', '1'])
    const theirs = await run('mosquitto_sub', [...at, '-t', 'silent', '-W', '1'])
    expect(theirs.code).toBe(27)
    expect(ours.code).toBe(27)
  })
})

test('from the repository root: pnpm -s mqtt pub, with -f relative to the folder pnpm ran in', async () => {
  const sub = start('mosquitto_sub', [...at, '-i', 'their-sub-pnpm', '-t', 'pnpm/readme', '-C', '1', '-W', '30'], { timeoutMs: 35_000 })
  try {
    await open.waitForLog('Sending SUBACK to their-sub-pnpm')
    const pub = await run('pnpm', ['-s', 'mqtt', 'pub', ...at, '-t', 'pnpm/readme', '-f', 'package.json', '-q', '1'], {
      cwd: ROOT,
      timeoutMs: 30_000,
    })
    expect(pub).toMatchObject({ code: 0, stderr: '' })
    const done = await sub.finished
    expect(done.code).toBe(0)
    expect(done.stdout).toContain('"name": "x-mqtt"') // the root's package.json, not packages/cli's
  } finally {
    await sub.stop()
  }
}, 40_000)
