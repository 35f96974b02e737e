/**
 * Every example, run in-process through its main(argv, print) on the embedded broker (and some
 * with --url against a broker the test controls), with its output checked line by line.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { MqttClient } from '@x/simple'
import { run as runCommand } from '@x/test-support/processes.js'
import { main as demo } from '../demo.js'
import { main as flakyCluster } from '../flaky-cluster.js'
import { main as flakyLink } from '../flaky-link.js'
import { main as ledRemote } from '../led-remote.js'
import { UsageError } from '../lib/args.js'
import { makeCerts } from '../lib/certs.js'
import { startEmbeddedBroker } from '../lib/embedded-broker.js'
import { main as livingRoomLight } from '../living-room-light.js'
import { main as remoteLightSwitch } from '../remote-light-switch.js'
import { main as selfTest } from '../self-test.js'
import { main as tlsCloudBroker } from '../tls-cloud-broker.js'
import { closedPort, collect } from './output.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// A developer's MQTT_URL must not send the tests to their broker.
beforeAll(() => void vi.stubEnv('MQTT_URL', undefined))
afterAll(() => void vi.unstubAllEnvs())

/** The output of one run: lines, in order. */
async function run(main: (argv: string[], print: (line: string) => void) => Promise<void>, argv: string[]): Promise<string[]> {
  const out = collect()
  await main(argv, out.print)
  return out.lines
}

/** The indexes of the first lines matching each pattern; fails unless they appear in this order. */
function inOrder(lines: string[], patterns: RegExp[]): number[] {
  const at: number[] = []
  let from = 0
  for (const pattern of patterns) {
    const i = lines.findIndex((line, index) => index >= from && pattern.test(line))
    expect(i, `${pattern} after line ${from} in:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0)
    at.push(i)
    from = i + 1
  }
  return at
}

describe('tls-cloud-broker (seed 000)', () => {
  test('embedded: TLS with a certificate made for the run, user/password, every counter comes back', async () => {
    const lines = await run(tlsCloudBroker, ['--interval', '20'])
    expect(lines[0]).toMatch(
      /^No --url: embedded broker at mqtts:\/\/localhost:\d+ \(TLS with a certificate made for this run, user "emqx"/,
    )
    inOrder(lines, [
      /^Connected to MQTT Broker "localhost"$/,
      /^Send '\{"msg":0\}' to topic 'raspberry\/mqtt'$/,
      /^Received '\{"msg":0\}' from topic 'raspberry\/mqtt'$/,
      /^Send '\{"msg":1\}'/,
      /^Received '\{"msg":1\}'/,
      /^Send '\{"msg":2\}'/,
      /^Received '\{"msg":2\}'/,
      /^All 3 messages came back\.$/,
    ])
    expect(lines.filter((l) => l.startsWith('Received'))).toHaveLength(3)
  })

  describe('--url to a TLS broker the test runs', () => {
    const certs = makeCerts()
    afterAll(() => certs.remove())

    test('--cafile and --user/--password: works, with the topic under a prefix of its own', async () => {
      const broker = await startEmbeddedBroker({ tls: certs.server, users: { alice: 's3cret' } })
      try {
        const args = [
          '--url',
          broker.url,
          '--cafile',
          certs.caFile,
          '--user',
          'alice',
          '--password',
          's3cret',
          '--count',
          '2',
          '--interval',
          '10',
        ]
        const lines = await run(tlsCloudBroker, args)
        expect(lines[0]).toBe(`broker: ${broker.url} (TLS, trusting ${certs.caFile})`)
        const prefix = /topics under "(x-mqtt-[0-9a-f]{6}\/)"/.exec(lines.join('\n'))?.[1]
        expect(prefix).toBeDefined()
        expect(lines).toContain(`Received '{"msg":1}' from topic '${prefix}raspberry/mqtt'`)
      } finally {
        await broker.close()
      }
    })

    test('without the CA the certificate is refused (ECERT); a wrong password is errno 24', async () => {
      const broker = await startEmbeddedBroker({ tls: certs.server, users: { alice: 's3cret' } })
      try {
        const base = ['--url', broker.url, '--user', 'alice', '--count', '1']
        await expect(run(tlsCloudBroker, [...base, '--password', 's3cret'])).rejects.toMatchObject({ code: 'ECERT' })
        await expect(run(tlsCloudBroker, [...base, '--password', 'wrong', '--cafile', certs.caFile])).rejects.toMatchObject({
          errno: 24,
          code: 'ECONCREDENTIALS',
        })
      } finally {
        await broker.close()
      }
    })
  })
})

describe('living-room-light (seed 001)', () => {
  test('embedded: publishes every interval under its UUID, reconnects after the broker drops it', async () => {
    const lines = await run(livingRoomLight, ['--count', '4', '--interval', '80', '--retry-delay', '50', '--uuid', 'dev-42'])
    inOrder(lines, [
      /^\[-\] Device dev-42$/,
      /^\[-\] Connected to mqtt:\/\/127\.0\.0\.1:\d+ MQTT broker successfully$/,
      /^\[-\] Subscribed to dev-42\/living_room\/light successfully$/,
      /^\[-\] published light status: 1$/,
      /^\[-\] published light status: 1$/,
      /drops this connection/,
      /^\[-\] Failed: .*ECONCLOSE\)\. Reconnecting in 50 ms/,
      /^\[-\] Connected to /, // connected again, then…
      /^\[-\] Subscribed to dev-42\/living_room\/light successfully$/, // subscribed again
      /^\[-\] published light status: 1$/,
      /^\[-\] published light status: 1$/,
      /^\[-\] Published 4 statuses \(1 reconnect\)\.$/,
    ])
    expect(lines.filter((l) => l.includes('published light status'))).toHaveLength(4)
  })

  test('--url: a watcher sees the statuses on <UUID>/home/living_room/light, and a "0" on its topic switches the light', async () => {
    const broker = await startEmbeddedBroker()
    const watcher = new MqttClient({ clientId: 'watcher', server: broker.url })
    try {
      const seen: string[] = []
      watcher.setCallback((_topic, payload) => seen.push(new TextDecoder().decode(payload)))
      await watcher.connect()
      await watcher.subscribe('dev-7/home/living_room/light')
      await watcher.waitMsg(1000) // SUBACK
      const out = collect()
      const running = livingRoomLight(['--url', broker.url, '--uuid', 'dev-7', '--count', '6', '--interval', '150'], out.print)
      const deadline = Date.now() + 5000
      while (!seen.length && Date.now() < deadline) await watcher.waitMsg(deadline - Date.now())
      expect(seen[0]).toBe('1')
      await watcher.publish('dev-7/living_room/light', '0')
      await running
      while (seen.length < 6 && Date.now() < deadline) await watcher.waitMsg(deadline - Date.now())
      expect(seen).toHaveLength(6)
      expect(seen.at(-1)).toBe('0')
      inOrder(out.lines, [
        /^\[-\] published light status: 1$/,
        /^\[-\] received \(dev-7\/living_room\/light, 0\)$/,
        /^\[-\] published light status: 0$/,
      ])
      expect(out.text).not.toMatch(/drops|Failed/) // no fault injected on a broker it does not own
    } finally {
      await watcher.disconnect()
      await broker.close()
    }
  })

  test('--url on a port of its own, with a login: the printed commands name that port and user (never the password) and work as printed', async () => {
    const broker = await startEmbeddedBroker({ users: { alice: 's3cret' } })
    const out = collect()
    const args = ['--url', broker.url, '--user', 'alice', '--password', 's3cret', '--uuid', 'dev-9', '--count', '100', '--interval', '100']
    const running = livingRoomLight(args, out.print)
    try {
      const watch = (await out.waitFor(/^\[-\] Watch it with: /)).replace('[-] Watch it with: ', '')
      const flip = (await out.waitFor(/^\[-\] Switch it with: /)).replace('[-] Switch it with: ', '')
      const target = `mqtt://127.0.0.1:${broker.port}`
      expect(watch).toBe(`npx -y pnpm@10 -s mqtt sub -L ${target}/dev-9/home/living_room/light -u alice -P '<password>' -v`)
      expect(flip).toBe(`npx -y pnpm@10 -s mqtt pub -L ${target}/dev-9/living_room/light -u alice -P '<password>' -m 0`)
      expect(out.text).not.toContain('s3cret')
      // As a user pastes them, from the repository root, with their password in place of the placeholder.
      const paste = (command: string, more = ''): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        runCommand('bash', ['-c', `${command.replace(`'<password>'`, 's3cret')}${more}`], { cwd: ROOT, timeoutMs: 30_000 })
      const [watched, switched] = await Promise.all([paste(watch, ' -C 1 -W 20'), paste(flip)])
      expect(watched.code, watched.stderr).toBe(0)
      expect(watched.stdout).toMatch(/^dev-9\/home\/living_room\/light [01]\n$/)
      expect(switched.code, switched.stderr).toBe(0)
      await out.waitFor(/^\[-\] received \(dev-9\/living_room\/light, 0\)$/)
    } finally {
      await running.catch(() => {})
      await broker.close()
    }
  }, 40_000)
})

describe('remote-light-switch (seed 003)', () => {
  test('embedded: + and # subscriptions, lights switched on "on"/"off", other words ignored, pings answered', async () => {
    const lines = await run(remoteLightSwitch, ['--step', '80', '--ping-interval', '150'])
    inOrder(lines, [
      /subscribed to home\/\+\/light and sensors\/#$/,
      /^\(home\/livingroom\/light, on\)$/,
      /^ {4}\[\*\] livingroom light ON$/,
      /^ {4}logged a reading from livingroom\/temperature$/,
      /^ {4}\[\*\] kitchen light ON$/,
      /^ {4}logged a reading from garden\/soil\/moisture$/, // # matches two levels
      /^ {4}\[ \] livingroom light off$/,
      /^ {4}"blink" is neither on nor off: kitchen light unchanged$/,
      /^ {4}\[ \] kitchen light off$/,
      /^Done\. Lights on: none\.$/,
    ])
    expect(lines).toContain('    (PINGREQ)')
    expect(lines).toContain('    (PINGRESP: the broker is there)')
  })

  test('--listen-only --url: switches on messages from another client, ignores topics outside its filters', async () => {
    const broker = await startEmbeddedBroker()
    const remote = new MqttClient({ clientId: 'test-remote', server: broker.url })
    try {
      const out = collect()
      const args = ['--url', broker.url, '--prefix', 't/', '--listen-only', '--duration', '800', '--ping-interval', '5000']
      const running = remoteLightSwitch(args, out.print)
      await out.waitFor(/^Listening for 800 ms/)
      await remote.connect()
      await remote.publish('t/home/hall/light', 'on')
      await remote.publish('t/home/hall/lamp', 'on') // not matched by t/home/+/light
      await remote.publish('t/home/hall/light/extra', 'off') // + is one level only
      await running
      expect(out.lines).toContain('    [*] hall light ON')
      expect(out.text).not.toMatch(/lamp|extra/)
      expect(out.lines.at(-1)).toBe('Done. Lights on: hall.')
    } finally {
      await remote.disconnect()
      await broker.close()
    }
  })
})

describe('led-remote (seed 004) and the demo', () => {
  /** The row of one tick, as { blue: { button, led }, green: … }. */
  function row(lines: string[], tick: number): Record<'blue' | 'green', { button: string; led: string }> {
    const line = lines.find((l) => l.startsWith(String(tick).padStart(4) + '  '))
    const m = line && /blue +button (up|DOWN) +LED \(.\) (ON|off) +\| +green button (up|DOWN) +LED \(.\) (ON|off)/.exec(line)
    if (!m) throw new Error(`no row for tick ${tick} in:\n${lines.join('\n')}`)
    return { blue: { button: m[1] as string, led: m[2] as string }, green: { button: m[3] as string, led: m[4] as string } }
  }

  test("embedded: each LED follows the other device's button (active low)", async () => {
    const lines = await run(ledRemote, ['--ticks', '8', '--interval', '200'])
    expect(lines).toContain('blue connected: publishes blue/btn/0, its LED follows green/btn/0')
    expect(lines).toContain('green connected: publishes green/btn/0, its LED follows blue/btn/0')
    expect(row(lines, 1)).toEqual({ blue: { button: 'up', led: 'off' }, green: { button: 'up', led: 'off' } })
    expect(row(lines, 3)).toEqual({ blue: { button: 'DOWN', led: 'off' }, green: { button: 'up', led: 'ON' } })
    expect(row(lines, 4)).toEqual({ blue: { button: 'DOWN', led: 'off' }, green: { button: 'up', led: 'ON' } })
    expect(row(lines, 5)).toEqual({ blue: { button: 'up', led: 'off' }, green: { button: 'up', led: 'off' } })
    expect(row(lines, 6)).toEqual({ blue: { button: 'up', led: 'ON' }, green: { button: 'DOWN', led: 'off' } })
    expect(row(lines, 8)).toEqual({ blue: { button: 'up', led: 'off' }, green: { button: 'up', led: 'off' } })
  })

  test('demo: the LED remote on the embedded broker, ending by itself', async () => {
    const lines = await run(demo, ['--interval', '200'])
    expect(lines[0]).toMatch(/^x-mqtt demo/)
    expect(lines.some((l) => /^No --url: embedded broker at mqtt:\/\/127\.0\.0\.1:\d+$/.test(l))).toBe(true)
    expect(row(lines, 3).green.led).toBe('ON')
    expect(row(lines, 7).blue.led).toBe('ON')
    expect(lines.filter((l) => /^ {3}\d  /.test(l))).toHaveLength(8)
    expect(lines.at(-1)).toMatch(/^Done\./)
  })
})

describe('self-test (seed 002)', () => {
  test('embedded: every check passes, in a table with timings', async () => {
    const lines = await run(selfTest, [])
    const table = lines.slice(lines.findIndex((l) => l.startsWith('check')))
    const titles = [
      'connect / disconnect',
      'publish + subscribe QoS 0',
      'publish + subscribe QoS 1',
      'publish + subscribe QoS 2',
      'retained message',
      'last will',
      'long topic (> 127 bytes)',
      'status callback',
    ]
    for (const title of titles)
      expect(
        table.some((l) => l.startsWith(title) && / pass +\d+ ms/.test(l)),
        title,
      ).toBe(true)
    expect(table.find((l) => l.startsWith('last will'))).toMatch(/published on loss, not on disconnect/)
    expect(lines.at(-1)).toBe('8 passed, 0 failed')
  })

  test('a broker that is not there: every check FAILs with the reason, and main() rejects', async () => {
    const port = await closedPort()
    const out = collect()
    await expect(selfTest(['--url', `mqtt://127.0.0.1:${port}`, '--only', 'connect,qos1', '--timeout', '1000'], out.print)).rejects.toThrow(
      'failed: connect, qos1',
    )
    expect(out.lines.filter((l) => / FAIL +\d+ ms .*ECONNREFUSED/.test(l))).toHaveLength(2)
    expect(out.lines.at(-1)).toBe('0 passed, 2 failed')
  })

  test('--only with an unknown check is refused before connecting', async () => {
    await expect(run(selfTest, ['--only', 'qos3'])).rejects.toThrow(/unknown check qos3/)
  })
})

describe('flaky-link (@x/robust)', () => {
  test('embedded broker stopped and restarted on the same port: queue grows, backoff, resubscribe, every message arrives', async () => {
    const lines = await run(flakyLink, ['--count', '8', '--interval', '100', '--down-at', '3', '--outage', '700'])
    const text = lines.join('\n')
    const port = /stopping the broker on port (\d+)/.exec(text)?.[1]
    expect(port).toBeDefined()
    const [, , stopped, , , back] = inOrder(lines, [
      /connected$/,
      /broker: subscription to pumps\/7\/pressure$/,
      /\*\* stopping the broker on port \d+ for 700 ms \*\*/,
      /link lost: .*ECONCLOSE/,
      // The link had been up less than reconnect.stableAfterMs: the backoff goes on, no attempt at once.
      /reconnecting: attempt 1 after \d{3,} ms \(last error ECONCLOSE\)/,
      new RegExp(`\\*\\* broker back on port ${port} \\*\\*`),
      /reconnected; the broker has no session: the client subscribes again/,
      /broker: subscription to pumps\/7\/pressure$/, // renewed on the new broker
      /8\/8 readings arrived/,
    ])
    // While the broker is down, what waits (queued + in flight) grows with each reading.
    const waiting = lines
      .slice(stopped, back)
      .map((l) => /publish reading #\d+ +\(queued (\d+), in flight (\d+)\)/.exec(l))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]) + Number(m[2]))
    const output = lines.join('\n')
    expect(waiting.length, output).toBeGreaterThanOrEqual(3)
    expect(waiting, output).toEqual([...waiting].sort((a, b) => a - b))
    expect(new Set(waiting).size, output).toBe(waiting.length)
    expect(waiting.at(-1), output).toBeGreaterThanOrEqual(3)
    // Backoff: attempts after the first wait, and the waits grow (with jitter: at least the minimum).
    const delays = [...text.matchAll(/reconnecting: attempt (\d+) after (\d+) ms \(last error ECONNREFUSED\)/g)].map((m) => Number(m[2]))
    expect(delays.length).toBeGreaterThanOrEqual(1)
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(190)
    for (let i = 1; i <= 8; i++) {
      expect(
        lines.some((l) => l.endsWith(`delivered reading #${i}`)),
        `delivered #${i}`,
      ).toBe(true)
      expect(
        lines.some((l) => l.endsWith(`<- received reading #${i}`)),
        `received #${i}`,
      ).toBe(true)
    }
  })
})

describe('flaky-cluster (@x/robust, a server list)', () => {
  test('node A of the embedded cluster stops: the pump moves to node B, and every reading reaches the dashboard on B', async () => {
    const lines = await run(flakyCluster, ['--count', '6', '--interval', '100', '--down-at', '2'])
    const [nodeA, nodeB] = [/node A \((mqtt:\S+)\)/.exec(lines[0] as string)?.[1], /node B \((mqtt:\S+)\)/.exec(lines[0] as string)?.[1]]
    expect(nodeA && nodeB).toBeTruthy()
    inOrder(lines, [
      new RegExp(`dashboard connected to node B \\(${nodeB}\\)`),
      new RegExp(`pump connected to node A \\(${nodeA}\\)$`),
      /node A stops \(a crash\)/,
      /pump lost its link: .*closed by the broker/,
      new RegExp(`pump connected to node B \\(${nodeB}\\) \\d+ ms after node A stopped`),
      /6\/6 readings arrived/,
    ])
    for (let i = 1; i <= 6; i++)
      expect(
        lines.some((l) => l.includes(`dashboard <- reading #${i}:`)),
        `#${i}`,
      ).toBe(true)
  })
})

describe('command lines', () => {
  test('--help prints the usage and starts nothing; a bad option or number is a UsageError', async () => {
    for (const main of [tlsCloudBroker, livingRoomLight, remoteLightSwitch, ledRemote, selfTest, flakyLink, flakyCluster]) {
      const lines = await run(main, ['--help'])
      expect(lines.join('\n')).toMatch(/^Usage: pnpm -s --filter @x\/examples run [a-z-]+ \[options\][\s\S]*--url URL/)
    }
    await expect(run(ledRemote, ['--bogus'])).rejects.toBeInstanceOf(UsageError)
    await expect(run(ledRemote, ['--ticks', 'many'])).rejects.toThrow('--ticks must be a whole number from 1 to 1000000, not "many"')
    await expect(run(livingRoomLight, ['extra'])).rejects.toBeInstanceOf(UsageError)
    // An unknown check for --only is a usage mistake too (exit code 2), named with the ones there are.
    await expect(run(selfTest, ['--only', 'qos9'])).rejects.toThrow(
      expect.objectContaining({ name: 'UsageError', message: expect.stringContaining('--only: unknown check qos9; there are: ') }),
    )
  })
})
