/**
 * The MQTT 5 flags as mosquitto_pub and mosquitto_sub take them, parsed into the options of
 * @x/simple (no broker): -V, -D command identifier value(s), -x; and every mistake refused with
 * what was wrong, before anything connects.
 */
import { describe, expect, test } from 'vitest'
import { CliError } from '../src/exit-codes.js'
import { parseCommandLine, type Config } from '../src/options.js'

const parse = (command: 'pub' | 'sub', argv: string[]): Config => {
  const base = command === 'pub' ? ['-t', 't', '-m', 'x'] : ['-t', 't']
  const config = parseCommandLine(command, [...base, ...argv], '/')
  if (typeof config === 'string') throw new Error(config)
  return config
}
const refused = (command: 'pub' | 'sub', argv: string[]): string => {
  try {
    parse(command, argv)
  } catch (error) {
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).exitCode).toBe(2)
    return (error as CliError).message
  }
  throw new Error(`${argv.join(' ')} was accepted`)
}

describe('-V', () => {
  test('5 and mqttv5 speak MQTT 5; 311, mqttv311 and no -V speak 3.1.1, as before', () => {
    for (const v of ['5', 'mqttv5']) {
      expect(parse('pub', ['-V', v])).toMatchObject({ protocolVersion: 5, client: { protocolVersion: 5 } })
      expect(parse('sub', ['--protocol-version', v]).protocolVersion).toBe(5)
    }
    for (const argv of [['-V', '311'], ['-V', 'mqttv311'], []]) {
      const config = parse('sub', argv)
      expect(config.protocolVersion).toBe(4)
      expect(config.client).not.toHaveProperty('protocolVersion')
      expect(config.client).not.toHaveProperty('properties')
    }
  })

  test('MQTT 3.1 and unknown versions are refused with what to use', () => {
    expect(refused('pub', ['-V', '31'])).toContain('-V 31: MQTT 3.1 is not supported; mqtt speaks MQTT 3.1.1 (-V 311) and MQTT 5 (-V 5)')
    expect(refused('sub', ['-V', 'mqttv31'])).toContain('MQTT 3.1 is not supported')
    expect(refused('sub', ['-V', '4'])).toContain('-V "4" is not a version: -V 311 (mqttv311, the default) or -V 5 (mqttv5)')
  })
})

describe('-D command identifier value', () => {
  test('pub: connect, publish, will and disconnect properties, in camelCase, values typed', () => {
    const config = parse('pub', [
      ...['-V', '5', '--will-topic', 'w'],
      ...['-D', 'connect', 'receive-maximum', '10', '-D', 'connect', 'maximum-packet-size', '2000'],
      ...['-D', 'CONNECT', 'request-problem-information', '0', '-D', 'connect', 'authentication-data', 'ab'],
      ...['-D', 'connect', 'user-property', 'who', 'me', '-D', 'connect', 'topic-alias-maximum', '0'],
      ...['-D', 'publish', 'user-property', 'a', 'b', '-D', 'publish', 'user-property', 'a', 'c'],
      ...['-D', 'publish', 'user-property', 'k', 'v', '-D', 'publish', 'payload-format-indicator', '1'],
      ...['-D', 'publish', 'message-expiry-interval', '4294967295', '-D', 'publish', 'content-type', 'text/plain'],
      ...['-D', 'publish', 'response-topic', 'r/t', '-D', 'publish', 'correlation-data', 'xyz', '-D', 'publish', 'topic-alias', '3'],
      ...['-D', 'will', 'will-delay-interval', '30', '-D', 'will', 'content-type', 'a/b'],
      ...['-D', 'disconnect', 'session-expiry-interval', '0', '-D', 'disconnect', 'reason-string', 'bye'],
    ])
    expect(config.client.properties).toEqual({
      receiveMaximum: 10,
      maximumPacketSize: 2000,
      requestProblemInformation: false,
      authenticationData: new TextEncoder().encode('ab'),
      userProperties: { who: 'me' },
      topicAliasMaximum: 0,
    })
    expect(config.properties.publish).toEqual({
      userProperties: { a: ['b', 'c'], k: 'v' },
      payloadFormatIndicator: true,
      messageExpiryInterval: 4294967295,
      contentType: 'text/plain',
      responseTopic: 'r/t',
      correlationData: new TextEncoder().encode('xyz'),
      topicAlias: 3,
    })
    expect(config.will?.properties).toEqual({ willDelayInterval: 30, contentType: 'a/b' })
    expect(config.properties.disconnect).toEqual({ sessionExpiryInterval: 0, reasonString: 'bye' })
  })

  test('sub: subscribe properties (subscription-identifier, user-property)', () => {
    const config = parse('sub', [
      '-V',
      '5',
      '-D',
      'subscribe',
      'subscription-identifier',
      '7',
      '-D',
      'subscribe',
      'user-property',
      'x',
      'y',
    ])
    expect(config.properties.subscribe).toEqual({ subscriptionIdentifier: 7, userProperties: { x: 'y' } })
  })

  test('a -D word is never taken for a flag, and a flag value is never taken for -D', () => {
    const config = parse('pub', ['-V', '5', '-D', 'publish', 'user-property', '-t', '-q', '-D', 'publish', 'content-type', '-m'])
    expect(config.properties.publish).toEqual({ userProperties: { '-t': '-q' }, contentType: '-m' })
    expect(config.topics).toEqual(['t'])
    const message = parseCommandLine('pub', ['-t', 't', '-m', '-D'], '/') as Config
    expect(message.source).toEqual({ kind: 'payload', payload: new TextEncoder().encode('-D') })
    expect(message.protocolVersion).toBe(4)
  })

  test('-D without -V speaks MQTT 5, as mosquitto does; with an explicit -V 311 it is refused', () => {
    expect(parse('pub', ['-D', 'publish', 'content-type', 'a']).protocolVersion).toBe(5)
    expect(refused('pub', ['-V', 'mqttv311', '-D', 'publish', 'content-type', 'a'])).toContain(
      '-D sets MQTT 5 properties, and -V mqttv311 asks for MQTT 3.1.1, which has none: use -V 5',
    )
  })

  test('mistakes: the command, the identifier, the value, each named', () => {
    const cases: Array<['pub' | 'sub', string[], string]> = [
      ['pub', ['-D', 'publish', 'content-type'], '-D needs a command, an identifier and a value'],
      ['pub', ['-D', 'publish', 'user-property', 'only-name'], '-D needs a command, an identifier and a value (user-property: a name'],
      [
        'pub',
        ['-D', 'bogus', 'content-type', 'a'],
        '-D "bogus" is not a command; mqtt pub takes -D for connect, publish, will, disconnect',
      ],
      ['pub', ['-D', 'subscribe', 'user-property', 'a', 'b'], '-D subscribe: mqtt pub sets no properties on SUBSCRIBE'],
      ['pub', ['-D', 'pubrel', 'user-property', 'a', 'b'], 'mqtt pub sets no properties on PUBREL'],
      [
        'sub',
        ['-D', 'publish', 'content-type', 'a'],
        'mqtt sub sets no properties on PUBLISH; mqtt sub takes -D for connect, subscribe, will',
      ],
      ['sub', ['-D', 'unsubscribe', 'user-property', 'a', 'b'], 'mqtt sub sets no properties on UNSUBSCRIBE'],
      ['sub', ['-D', 'disconnect', 'user-property', 'a', 'b'], 'mqtt sub sets no properties on DISCONNECT'],
      [
        'pub',
        ['-D', 'publish', 'bogus', '1'],
        '-D publish "bogus" is not a property; publish takes payload-format-indicator, message-expiry-interval',
      ],
      [
        'pub',
        ['-D', 'publish', 'session-expiry-interval', '1'],
        '-D publish session-expiry-interval: not allowed for publish, which takes',
      ],
      ['pub', ['-D', 'publish', 'subscription-identifier', '1'], '-D publish subscription-identifier: not allowed for publish'],
      ['pub', ['-D', 'connect', 'will-delay-interval', '1'], 'not allowed for connect'],
      ['sub', ['-D', 'subscribe', 'content-type', 'a'], 'not allowed for subscribe, which takes subscription-identifier, user-property'],
      ['pub', ['-D', 'disconnect', 'server-reference', 'h'], 'not allowed for disconnect'],
      [
        'pub',
        ['-D', 'publish', 'message-expiry-interval', 'abc'],
        '-D publish message-expiry-interval: a whole number from 0 to 4294967295 is needed, not "abc"',
      ],
      ['pub', ['-D', 'publish', 'message-expiry-interval', '4294967296'], 'from 0 to 4294967295'],
      ['pub', ['-D', 'publish', 'message-expiry-interval', '-1'], 'from 0 to 4294967295 is needed, not "-1"'],
      ['pub', ['-D', 'publish', 'payload-format-indicator', '2'], '-D publish payload-format-indicator: 0 or 1 is needed, not "2"'],
      ['pub', ['-D', 'connect', 'receive-maximum', '65536'], 'from 0 to 65535'],
      ['pub', ['-D', 'connect', 'receive-maximum', '0'], 'Receive Maximum 0'],
      ['pub', ['-D', 'publish', 'topic-alias', '0'], 'Topic Alias 0'],
      ['sub', ['-D', 'subscribe', 'subscription-identifier', '0'], 'Subscription Identifier 0'],
      ['sub', ['-D', 'subscribe', 'subscription-identifier', '268435456'], 'from 0 to 268435455'],
      ['pub', ['-D', 'publish', 'response-topic', 'a/#'], 'Response Topic "a/#"'],
      ['pub', ['-D', 'publish', 'content-type', 'a', '-D', 'publish', 'content-type', 'b'], '-D publish content-type is given twice'],
      ['pub', ['-D', 'will', 'content-type', 'a'], '-D will … needs --will-topic'],
    ]
    for (const [command, argv, message] of cases) expect(refused(command, argv), argv.join(' ')).toContain(message)
  })
})

describe('-x SECONDS', () => {
  test('the CONNECT property sessionExpiryInterval; -1, ∞ and 4294967295 never expire', () => {
    expect(parse('sub', ['-V', '5', '-x', '60']).client.properties).toEqual({ sessionExpiryInterval: 60 })
    expect(parse('sub', ['-V', '5', '-x', '0']).client.properties).toEqual({ sessionExpiryInterval: 0 })
    for (const never of ['-1', '∞', '4294967295'])
      expect(parse('sub', ['-V', '5', '-x', never, '-i', 'me']).client.properties).toEqual({ sessionExpiryInterval: 0xffffffff })
  })

  test('-c on MQTT 5 keeps the session for ever unless -x says otherwise, as mosquitto', () => {
    expect(parse('sub', ['-V', '5', '-c', '-i', 'me'])).toMatchObject({
      cleanSession: false,
      client: { properties: { sessionExpiryInterval: 0xffffffff } },
    })
    expect(parse('sub', ['-V', '5', '-c', '-i', 'me', '-x', '30']).client.properties).toEqual({ sessionExpiryInterval: 30 })
    expect(parse('sub', ['-c', '-i', 'me']).client).not.toHaveProperty('properties')
  })

  test('mistakes: without -V 5, out of range, twice, never expiring without -i', () => {
    expect(refused('sub', ['-x', '60'])).toContain('-x (session expiry interval) is MQTT 5: add -V 5')
    expect(refused('sub', ['-V', '311', '-x', '60'])).toContain('add -V 5')
    expect(refused('sub', ['-V', '5', '-x', '-2'])).toContain('-x needs seconds from 0 to 4294967294, or -1 (never expires), not "-2"')
    expect(refused('sub', ['-V', '5', '-x', '4294967296'])).toContain('-x needs seconds')
    expect(refused('sub', ['-V', '5', '-x', '10', '-D', 'connect', 'session-expiry-interval', '5'])).toContain(
      '-x and -D connect session-expiry-interval set the same property',
    )
    expect(refused('sub', ['-V', '5', '-x', '-1'])).toContain('a session that never expires needs -i ID')
  })
})

describe('-F with the MQTT 5 fields', () => {
  const print = (format: string, properties?: Record<string, unknown>): string =>
    parse('sub', ['-V', '5', '-F', format])
      .print({ topic: 't/1', payload: new TextEncoder().encode('hi'), qos: 1, retained: false, properties })
      .toString()

  test('%P: user properties as name:value, space-separated, repeated names in order', () => {
    expect(print('[%P] %t %p', { userProperties: { a: ['b', 'c'], k: 'v' } })).toBe('[a:b a:c k:v] t/1 hi\n')
  })

  test('%A %C %D %E %F %R %S: each property, or nothing when absent (and on MQTT 3.1.1)', () => {
    const all = {
      topicAlias: 3,
      contentType: 'text/plain',
      correlationData: new TextEncoder().encode('xyz'),
      messageExpiryInterval: 100,
      payloadFormatIndicator: true,
      responseTopic: 'r/t',
      subscriptionIdentifier: [7, 9],
    }
    expect(print('%A|%C|%D|%E|%F|%R|%S', all)).toBe('3|text/plain|xyz|100|1|r/t|7\n')
    expect(print('[%P]%A|%C|%D|%E|%F|%R|%S', {})).toBe('[]||||||\n')
    expect(print('[%P]%A|%C|%D|%E|%F|%R|%S')).toBe('[]||||||\n')
  })
})

test("a broker's DISCONNECT is told with its reason code once, not a second time after the message that says it", async () => {
  const { failureOf } = await import('../src/exit-codes.js')
  const { MqttError } = await import('@x/simple')
  const error = new MqttError('EDISCONNECT', '127.0.0.1:1883 closed the connection with DISCONNECT: administrative action (0x98)', {
    reasonCode: 0x98,
  })
  const shown = failureOf(error, '127.0.0.1:1883').message
  expect(shown.split('0x98').length - 1).toBe(1)
  // A code the message does not carry yet (a client-detected protocol error) is added.
  const own = new MqttError('ERESPONSE', 'A second CONNACK [MQTT-3.2.0-2]', { reasonCode: 0x82 })
  expect(failureOf(own, '127.0.0.1:1883').message).toContain('0x82')
})
