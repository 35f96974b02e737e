/**
 * The mqtt command (run() in-process, with streams the test owns) against aedes: pub to sub with
 * every message source and QoS, -v -C -W -r -L, TLS flags, and the exit code and message of
 * each failure a shell user meets.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeCerts } from '../../../examples/lib/certs.js'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../examples/lib/embedded-broker.js'
import { FakeBroker } from '@x/test-support/fake-broker.js'
import { closedPort } from '@x/test-support/ports.js'
import { folder, mqtt, subscriber as subscribedAt } from './support/in-process.js'

let broker: EmbeddedBroker
let at: string[] // -h 127.0.0.1 -p <port>
beforeAll(async () => {
  broker = await startEmbeddedBroker()
  at = ['-h', '127.0.0.1', '-p', String(broker.port)]
})
afterAll(() => broker.close())

const subscriber = (argv: string[], subscribed: string) => subscribedAt(at, argv, subscribed)

describe('pub → sub', () => {
  test('-m, -n and -f at QoS 0, 1 and 2; -v prints the topic; -C ends after that many messages', async () => {
    const file = join(folder, 'payload.bin')
    writeFileSync(file, Buffer.from([0x68, 0x69, 0x00, 0xff]))
    const sub = await subscriber(['-t', 'cli/a/#', '-v', '-C', '3', '-q', '2', '-W', '10'], 'cli/a/#')
    expect(await mqtt(['pub', ...at, '-t', 'cli/a/one', '-m', 'hello world', '-q', '1']).done).toMatchObject({ code: 0, stderr: '' })
    expect((await mqtt(['pub', ...at, '-t', 'cli/a/two', '-n', '-q', '2']).done).code).toBe(0)
    expect((await mqtt(['pub', ...at, '-t', 'cli/a/three', '-f', 'payload.bin']).done).code).toBe(0) // relative to cwd
    const result = await sub.done
    expect(result.code).toBe(0)
    expect(result.bytes).toEqual(
      Buffer.concat([Buffer.from('cli/a/one hello world\ncli/a/two (null)\ncli/a/three '), Buffer.from([0x68, 0x69, 0x00, 0xff, 0x0a])]),
    )
    expect(result.stderr).toMatch(/subscribed to cli\/a\/# \(QoS 2 granted\)/)
  })

  test('-l sends one message per line (an empty line too); -s sends all of stdin as one', async () => {
    const sub = await subscriber(['-t', 'cli/lines', '-C', '4', '-W', '10'], 'cli/lines')
    expect((await mqtt(['pub', ...at, '-t', 'cli/lines', '-l', '-q', '1'], 'one\n\nthree\n').done).code).toBe(0)
    expect((await mqtt(['pub', ...at, '-t', 'cli/lines', '-s'], 'all\nof it').done).code).toBe(0)
    const result = await sub.done
    expect(result).toMatchObject({ code: 0, stdout: 'one\n\nthree\nall\nof it\n' })
  })

  test('-l sends each line as its bytes, split at LF only, as mosquitto_pub does: no UTF-8 decoding, a lone CR kept in its line', async () => {
    const sub = await subscriber(['-t', 'cli/raw-lines', '-C', '2', '-W', '10'], 'cli/raw-lines')
    const stdin = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x61, 0x0d, 0x62, 0x0a]) // "caf\xe9\n" "a\rb\n"
    expect((await mqtt(['pub', ...at, '-t', 'cli/raw-lines', '-l', '-q', '1'], stdin).done).code).toBe(0)
    const result = await sub.done
    expect(result.code).toBe(0)
    expect(result.bytes).toEqual(stdin) // each payload and the newline sub prints after it
  })

  test('-r keeps the message for later subscribers; -r -n clears it', async () => {
    expect((await mqtt(['pub', ...at, '-t', 'cli/kept', '-m', 'kept', '-r', '-q', '1']).done).code).toBe(0)
    expect(await mqtt(['sub', ...at, '-t', 'cli/kept', '-C', '1', '-W', '5']).done).toMatchObject({ code: 0, stdout: 'kept\n' })
    expect((await mqtt(['pub', ...at, '-t', 'cli/kept', '-n', '-r', '-q', '1']).done).code).toBe(0)
    const none = await mqtt(['sub', ...at, '-t', 'cli/kept', '-C', '1', '-W', '1']).done
    expect(none).toMatchObject({ code: 27, stdout: '' })
    expect(none.stderr).toBe('mqtt sub: timed out after 1 s (-W), received 0 of 1 message\n')
  })

  test('-W without -C: times out with 27, after printing what came', async () => {
    const sub = await subscriber(['-t', 'cli/w', '-W', '1'], 'cli/w')
    await mqtt(['pub', ...at, '-t', 'cli/w', '-m', 'only one']).done
    const result = await sub.done
    expect(result).toMatchObject({ code: 27, stdout: 'only one\n' })
    expect(result.stderr).toMatch(/timed out after 1 s \(-W\), received 1 message$/m)
  })

  test('-h a,b: a cluster tried in order, pub and sub both reach the node that answers', async () => {
    // The broker listens on 127.0.0.1 only: ::1 on its port refuses, like a dead node.
    const cluster = ['-h', '::1,127.0.0.1', '-p', String(broker.port)]
    const sub = mqtt(['sub', ...cluster, '-t', 'cli/cluster', '-C', '1', '-W', '10', '-d'])
    await sub.stderr.waitFor('subscribed to cli/cluster')
    const pub = await mqtt(['pub', ...cluster, '-t', 'cli/cluster', '-m', 'from the second node', '-q', '1', '-d']).done
    expect(pub.code).toBe(0)
    expect(pub.stderr).toMatch(/::1: Cannot connect to \[::1\]:\d+: .*; trying 127\.0\.0\.1/)
    expect(await sub.done).toMatchObject({ code: 0, stdout: 'from the second node\n' })
  })

  test('-L mqtt://host:port/topic, with # kept in a filter', async () => {
    const base = `mqtt://127.0.0.1:${broker.port}`
    const sub = mqtt(['sub', '-L', `${base}/cli/url/#`, '-v', '-C', '1', '-W', '10', '-d'])
    await sub.stderr.waitFor('subscribed to cli/url/#')
    expect((await mqtt(['pub', '-L', `${base}/cli/url/x%20y`, '-m', 'via URL']).done).code).toBe(0)
    expect(await sub.done).toMatchObject({ code: 0, stdout: 'cli/url/x y via URL\n' })
  })
})

describe('credentials', () => {
  let locked: EmbeddedBroker
  beforeAll(async () => {
    locked = await startEmbeddedBroker({ users: { alice: 's3cret' } })
  })
  afterAll(() => locked.close())

  test('right user and password: 0; wrong password, or none: exit 5 with a message that says so', async () => {
    const here = ['-h', '127.0.0.1', '-p', String(locked.port), '-t', 'cli/c', '-m', 'x']
    expect((await mqtt(['pub', ...here, '-u', 'alice', '-P', 's3cret']).done).code).toBe(0)
    expect((await mqtt(['pub', '-L', `mqtt://alice:s3cret@127.0.0.1:${locked.port}/cli/c`, '-m', 'x']).done).code).toBe(0)
    const wrong = await mqtt(['pub', ...here, '-u', 'alice', '-P', 'nope']).done
    expect(wrong.code).toBe(5)
    expect(wrong.stderr).toMatch(
      /^mqtt pub: the broker refused the login: bad user name or password \(CONNACK 4\) \[ECONCREDENTIALS, errno 24\]\nCheck -u and -P/,
    )
    expect((await mqtt(['pub', ...here]).done).code).toBe(5)
    expect((await mqtt(['sub', '-L', `mqtt://alice:nope@127.0.0.1:${locked.port}/cli/c`, '-W', '1']).done).code).toBe(5)
  })
})

describe('failures a shell user meets', () => {
  test('a subscription the broker refuses (SUBACK 0x80): exit 5, naming the filter', async () => {
    // Refuse filters under secret/: aedes answers SUBACK 0x80 for a negated subscription.
    broker.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, sub.topic.startsWith('secret/') ? null : sub)
    try {
      const refused = await mqtt(['sub', ...at, '-t', 'cli/open', '-t', 'secret/#', '-W', '5']).done
      expect(refused.code).toBe(5)
      expect(refused.stderr).toMatch(
        /^mqtt sub: The broker refused the subscription to "secret\/#" \(SUBACK 0x80\) \[ESUBACKFAIL, errno 44\]\nCheck -u and -P/,
      )
      expect((await mqtt(['sub', ...at, '-t', 'cli/open', '-W', '1']).done).code).toBe(27) // allowed: subscribed, then -W
    } finally {
      broker.broker.authorizeSubscribe = (_client, sub, callback) => callback(null, sub)
    }
  })

  test('unreachable broker (closed port): exit 4, naming host and port', async () => {
    const port = await closedPort()
    for (const command of ['pub', 'sub']) {
      const result = await mqtt([command, '-h', '127.0.0.1', '-p', String(port), '-t', 'a', ...(command === 'pub' ? ['-m', 'x'] : [])]).done
      expect(result.code).toBe(4)
      expect(result.stderr).toContain(
        `mqtt ${command}: cannot reach the broker at 127.0.0.1:${port}: the broker refused the TCP connection`,
      )
      expect(result.stderr).toContain('[ECONNREFUSED, errno 71]\nIs the broker running there? Check -h and -p (or -L).')
    }
  })

  test('invalid topics: exit 3 before connecting, naming the rule', async () => {
    const port = String(await closedPort()) // nothing listens: only a check before connecting gives 3
    const cases: Array<[string[], RegExp]> = [
      [['pub', '-t', 'a/+/c', '-m', 'x'], /wildcards are not allowed in topic names \[MQTT-3\.3\.2-2\]/],
      [['pub', '-t', 'a/#', '-m', 'x'], /wildcards are not allowed in topic names \[MQTT-3\.3\.2-2\]/],
      [['pub', '-t', '', '-m', 'x'], /topic names must not be empty \[MQTT-4\.7\.3-1\]/],
      [['sub', '-t', 'a/#/b'], /"#" must be the last level of a filter and stand alone in it \[MQTT-4\.7\.1-2\]/],
      [['sub', '-t', 'ok/+', '-t', 'a+'], /"\+" must stand alone in its level \[MQTT-4\.7\.1-3\]/],
      [['sub', '-t', 'a\u0000b'], /U\+0000 is not allowed in topics \[MQTT-4\.7\.3-2\]/],
      [['pub', '-t', 'é'.repeat(40_000), '-m', 'x'], /65,535.*\[MQTT-4\.7\.3-3\]/],
    ]
    for (const [argv, rule] of cases) {
      const result = await mqtt([...argv, '-p', port]).done
      expect(result.code, argv.join(' ')).toBe(3)
      expect(result.stderr).toMatch(/^mqtt (pub|sub): invalid topic: /)
      expect(result.stderr).toMatch(rule)
    }
  })

  test('usage mistakes: exit 2 with what is wrong', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'mqtt: which command?'],
      [['publish'], 'mqtt: unknown command "publish"'],
      [['pub', '-t', 'a', '-m', 'x', '-X'], "Unknown option '-X'"],
      // mosquitto's long flags this command does not have: told so, not a crash (exit 1, a TypeError).
      [['pub', '-t', 'a', '-m', 'x', '--quiet'], "Unknown option '--quiet'"],
      [['sub', '-t', 'a', '--retained-only'], "Unknown option '--retained-only'"],
      [['sub', '-t', 'a', '--id-prefix', 'x'], "Unknown option '--id-prefix'"],
      [['pub', '-m', 'x'], 'a topic is needed: -t TOPIC'],
      [['pub', '-t', 'a'], 'one message source is needed'],
      [
        ['pub', '-t', 'a', '-m', 'x', '-n'],
        'only one message at a time (mosquitto_pub: "Only one type of message can be sent at once"): got -m and -n',
      ],
      [['pub', '-t', 'a', '-m', 'x', '-m', 'y'], 'got -m twice'],
      [['pub', '-t', 'a', '-l', '--repeat', '2'], '--repeat needs one message (-m, -f, -n or -s), not -l'],
      [['pub', '-t', 'a', '-m', 'x', '--repeat', '0'], '--repeat needs a whole number from 1'],
      [['pub', '-t', 'a', '-m', 'x', '--repeat-delay', 'soon'], '--repeat-delay needs a number of seconds'],
      [['sub', '-t', 'a', '-W', '0'], '-W needs more than 0 seconds'],
      [['sub', '-t', 'a', '-x', '60'], '-x (session expiry interval) is MQTT 5: add -V 5'],
      [['sub', '-t', 'a', '-V', 'mqttv31'], '-V mqttv31: MQTT 3.1 is not supported'],
      [['sub', '-t', 'a', '-c'], '-c (a session the broker keeps) needs -i ID'],
      [['sub', '-t', 'a', '-F', '%t %z'], '-F: %z is not a field; known: %% %t %p'],
      [['sub', '-t', 'a', '-F', 'a\\qb'], '-F: \\q is not an escape'],
      [
        ['sub', '-t', 'a', '-F', '@Y-@m %t'],
        '-F: @Y (a date field of mosquitto_sub) is not supported; use %I (ISO 8601) or %U (Unix time), and @@ for an @',
      ],
      [['sub', '-t', 'a', '--will-payload', 'bye'], '--will-payload needs --will-topic'],
      [['sub', '-t', 'a', '--will-topic', 'w', '--will-qos', '3'], '--will-qos: Cannot publish the will: QoS 3 is not 0, 1 or 2'],
      [['sub', '-t', 'a', '--capath', 'no-such-folder'], 'cannot read --capath'],
      [['pub', '-t', 'a', '-m', 'x', '-R'], '-R (--no-retained) is for mqtt sub, not mqtt pub'],
      [['pub', '-t', 'a', '-m', 'x', '-F', '%t'], '-F (--format) is for mqtt sub, not mqtt pub'],
      [['pub', '-t', 'a', '-m', 'x', '-C', '1'], '-C (--count) is for mqtt sub, not mqtt pub'],
      [['sub', '-t', 'a', '-m', 'x'], '-m (--message) is for mqtt pub, not mqtt sub'],
      [['pub', '-t', 'a', '-m', 'x', '-q', '3'], '-q: Cannot publish: QoS 3 is not 0, 1 or 2'],
      [['pub', '-t', 'a', '-m', 'x', '-p', '70000'], '-p needs a whole number from 1 to 65535, not "70000"'],
      [['sub', '-t', 'a', '-k', 'soon'], '-k needs a whole number'],
      [['pub', '-t', 'a', '-f', 'no-such-file'], 'cannot read -f no-such-file'],
      [['pub', '-t', 'a', '-m', 'x', '-P', 'pw'], '-P (password) needs -u (user name)'],
      [['pub', '-t', 'a', '-m', 'x', '--cert', 'c.pem'], '--cert and --key go together'],
      [['sub', '-L', 'http://h/t'], 'is not mqtt(s)://[user[:password]@]host[:port]/topic'],
    ]
    for (const [argv, message] of cases) {
      const result = await mqtt(argv).done
      expect(result.code, argv.join(' ')).toBe(2)
      expect(result.stderr).toContain(message)
    }
  })

  test('--help: usage, flags and exit codes on stdout, exit 0', async () => {
    for (const argv of [['--help'], ['pub', '--help'], ['sub', '--help']]) {
      const result = await mqtt(argv).done
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('27  timed out (-W)')
    }
    expect((await mqtt(['pub', '--help']).done).stdout).toMatch(/-l, --stdin-line/)
    expect((await mqtt(['sub', '--help']).done).stdout).toMatch(/-C, --count N/)
  })

  test('no PUBACK within -W (a broker that accepts the connection and then ignores us): exit 27', async () => {
    const mute = await FakeBroker.start() // answers CONNECT with CONNACK, then nothing
    try {
      const port = String(mute.port)
      const started = Date.now()
      const result = await mqtt(['pub', '-h', '127.0.0.1', '-p', port, '-t', 'a', '-m', 'x', '-q', '1', '-W', '1']).done
      expect(result.code).toBe(27)
      expect(result.stderr).toBe('mqtt pub: no PUBACK for 1 message(s) within 1 s (-W)\n')
      expect(Date.now() - started).toBeLessThan(4000)
    } finally {
      await mute.close()
    }
  })
})

describe('TLS', () => {
  const certs = makeCerts()
  afterAll(() => certs.remove())

  test('--cafile: pub and sub over TLS; without it the certificate is refused (exit 6)', async () => {
    const secure = await startEmbeddedBroker({ tls: certs.server })
    try {
      const here = ['-h', 'localhost', '-p', String(secure.port), '--cafile', certs.caFile]
      const sub = mqtt(['sub', ...here, '-t', 'cli/tls', '-C', '1', '-W', '10', '-d'])
      await sub.stderr.waitFor('subscribed to cli/tls')
      expect((await mqtt(['pub', ...here, '-t', 'cli/tls', '-m', 'secret', '-q', '1']).done).code).toBe(0)
      expect(await sub.done).toMatchObject({ code: 0, stdout: 'secret\n' })

      const untrusted = await mqtt(['pub', '-L', `mqtts://localhost:${secure.port}/cli/tls`, '-m', 'x']).done
      expect(untrusted.code).toBe(6)
      expect(untrusted.stderr).toMatch(
        /TLS with localhost:\d+ failed: the broker's TLS certificate was not accepted: .*\[ECERT, errno 73\]\nCheck --cafile/,
      )
    } finally {
      await secure.close()
    }
  })

  test("--insecure accepts any certificate: another host's, or one signed by an unknown CA", async () => {
    const other = certs.issue('other', 'DNS:broker.example')
    const secure = await startEmbeddedBroker({ tls: other })
    try {
      const here = ['-h', 'localhost', '-p', String(secure.port), '-t', 'cli/x', '-m', 'x']
      const mismatch = await mqtt(['pub', ...here, '--cafile', certs.caFile]).done
      expect(mismatch.code).toBe(6)
      expect(mismatch.stderr).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match|not in the cert's altnames/i)
      expect((await mqtt(['pub', ...here, '--cafile', certs.caFile, '--insecure']).done).code).toBe(0)
      expect((await mqtt(['pub', ...here, '--insecure']).done).code).toBe(0) // no --cafile: the chain is not checked either
    } finally {
      await secure.close()
    }
  })

  test('--capath: every PEM certificate in a folder is trusted, other files are passed over', async () => {
    const secure = await startEmbeddedBroker({ tls: certs.server })
    try {
      const cas = join(folder, 'cas')
      mkdirSync(cas)
      copyFileSync(certs.caFile, join(cas, 'ca.pem'))
      writeFileSync(join(cas, 'README'), 'not a certificate')
      const here = ['-h', 'localhost', '-p', String(secure.port), '-t', 'cli/capath', '-m', 'x', '-q', '1']
      expect(await mqtt(['pub', ...here, '--capath', 'cas']).done).toMatchObject({ code: 0, stderr: '' })
      const empty = join(folder, 'no-cas')
      mkdirSync(empty)
      const none = await mqtt(['pub', ...here, '--capath', empty]).done
      expect(none.code).toBe(2)
      expect(none.stderr).toContain(`--capath ${empty} holds no PEM certificate`)
    } finally {
      await secure.close()
    }
  })

  test('--cert/--key: a client certificate for a broker that requires one', async () => {
    const secure = await startEmbeddedBroker({ tls: { ...certs.server, ca: certs.ca, requestCert: true } })
    try {
      const here = ['-h', 'localhost', '-p', String(secure.port), '--cafile', certs.caFile, '-t', 'cli/c', '-m', 'x', '-q', '1']
      expect((await mqtt(['pub', ...here, '--cert', certs.client.certFile, '--key', certs.client.keyFile]).done).code).toBe(0)
      const without = await mqtt(['pub', ...here]).done
      expect(without.code, without.stderr).toBe(6)
    } finally {
      await secure.close()
    }
  })
})
