/**
 * How `mqtt sub` prints a message: the payload as it came (bytes, not re-encoded), the topic first
 * with -v, a newline after each unless -N, or the -F format's fields, mosquitto_sub's subset.
 */
import type { QoS } from '@x/simple'
import { usage } from './usage.js'

export interface Received {
  topic: string
  payload: Uint8Array
  qos: QoS
  retained: boolean
  /** MQTT 5: the PUBLISH's properties as received (@x/simple's names). */
  properties?: Readonly<Record<string, unknown>> | undefined
}

type Part = (m: Received) => string | Uint8Array

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** The payload as JSON text when it is UTF-8, else base64 under another key: nothing is lost. */
function json(m: Received, clientId: string): string {
  let payload: Record<string, string>
  try {
    payload = { payload: strictUtf8.decode(m.payload) }
  } catch {
    payload = { payload_base64: Buffer.from(m.payload).toString('base64') }
  }
  return JSON.stringify({
    tst: new Date().toISOString(),
    topic: m.topic,
    qos: m.qos,
    retain: +m.retained,
    payloadlen: m.payload.length,
    clientid: clientId,
    ...payload,
  })
}

const hex = (m: Received): string => Buffer.from(m.payload).toString('hex')

/** One MQTT 5 property of the message, as text (or bytes); nothing when it has none, as mosquitto_sub. */
const property =
  (name: string) =>
  (m: Received): string | Uint8Array => {
    const value = m.properties?.[name]
    if (value === undefined) return ''
    if (value instanceof Uint8Array) return value
    // Several Subscription Identifiers (overlapping subscriptions): mosquitto_sub prints the first.
    if (Array.isArray(value)) return String(value[0])
    return typeof value === 'boolean' ? String(+value) : String(value)
  }

/** %P: every user property as name:value, space-separated, in order, as mosquitto_sub prints them. */
function userProperties(m: Received): string {
  const users = (m.properties?.['userProperties'] ?? {}) as Record<string, string | string[]>
  return Object.entries(users)
    .flatMap(([name, values]) => (Array.isArray(values) ? values : [values]).map((value) => `${name}:${value}`))
    .join(' ')
}

/** The fields of -F, by the letter after `%`. */
const FIELDS: Record<string, (m: Received, clientId: string) => string | Uint8Array> = {
  '%': () => '%',
  t: (m) => m.topic,
  p: (m) => m.payload,
  l: (m) => String(m.payload.length),
  q: (m) => String(m.qos),
  r: (m) => String(+m.retained),
  c: (_m, clientId) => clientId,
  x: hex,
  X: (m) => hex(m).toUpperCase(),
  I: () => new Date().toISOString(),
  U: () => (Date.now() / 1000).toFixed(3),
  j: json,
  // MQTT 5 properties.
  A: property('topicAlias'),
  C: property('contentType'),
  D: property('correlationData'),
  E: property('messageExpiryInterval'),
  F: property('payloadFormatIndicator'),
  P: userProperties,
  R: property('responseTopic'),
  S: property('subscriptionIdentifier'),
}
const ESCAPES: Record<string, string> = { '\\': '\\', n: '\n', t: '\t', r: '\r', a: '\x07', e: '\x1b', v: '\v', '0': '\0' }

/** Parses a -F format once; an unknown `%` or `\` sequence is a usage error that lists the known ones. */
function partsOf(format: string, clientId: string): Part[] {
  const parts: Part[] = []
  let text = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i] as string
    const next = format[i + 1]
    if (c !== '%' && c !== '\\' && c !== '@') {
      text += c
      continue
    }
    i++
    // mosquitto_sub's @ fields are strftime's (@Y, @H…): not here. Printed as they stand they would
    // pass for output; refused, the user knows. @@ is an @, as there.
    if (c === '@') {
      if (next !== '@')
        throw usage(
          `-F: @${next ?? ''} (a date field of mosquitto_sub) is not supported; use %I (ISO 8601) or %U (Unix time), and @@ for an @`,
        )
      text += '@'
      continue
    }
    if (c === '\\') {
      const escaped = next === undefined ? undefined : ESCAPES[next]
      if (escaped === undefined)
        throw usage(
          `-F: \\${next ?? ''} is not an escape; known: ${Object.keys(ESCAPES)
            .map((k) => `\\${k}`)
            .join(' ')}`,
        )
      text += escaped
      continue
    }
    const field = next === undefined ? undefined : FIELDS[next]
    if (!field)
      throw usage(
        `-F: %${next ?? ''} is not a field; known: ${Object.keys(FIELDS)
          .map((k) => `%${k}`)
          .join(' ')}`,
      )
    if (next === '%') {
      text += '%'
      continue
    }
    if (text) {
      const literal = text
      parts.push(() => literal)
      text = ''
    }
    parts.push((m) => field(m, clientId))
  }
  if (text) parts.push(() => text)
  return parts
}

export interface OutputOptions {
  verbose: boolean
  /** -N: no newline after each message. */
  noEol: boolean
  format: string | undefined
  clientId: string
}

/** Checks the options (a bad -F is refused here, before connecting) and returns the printer. */
export function printerOf(o: OutputOptions): (m: Received) => Buffer {
  const eol = o.noEol ? '' : '\n'
  const parts: Part[] =
    o.format !== undefined
      ? partsOf(o.format, o.clientId)
      : o.verbose
        ? // mosquitto_sub prints an empty message as "(null)" after the topic.
          [(m) => `${m.topic} `, (m) => (m.payload.length ? m.payload : '(null)')]
        : [(m) => m.payload]
  return (m) =>
    Buffer.concat([
      ...parts.map((part) => {
        const out = part(m)
        return typeof out === 'string' ? Buffer.from(out) : Buffer.from(out.buffer, out.byteOffset, out.length)
      }),
      Buffer.from(eol),
    ])
}
