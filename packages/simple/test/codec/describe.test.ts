/** describePacket(): one line per packet type, as the trace prints them; never a password or a payload. */
import { expect, test } from 'vitest'
import { describePacket, type Packet } from '@x/simple'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

test.each<[Packet, string]>([
  [
    { type: 'connect', clientId: 'c1', cleanSession: false, keepaliveSec: 0, username: 'u', password: bytes('pw') },
    'CONNECT (id "c1", persistent session, keepalive 0 s, user "u" with password)',
  ],
  [
    {
      type: 'connect',
      clientId: '',
      cleanSession: true,
      keepaliveSec: 60,
      will: { topic: 'w', payload: bytes('bye'), qos: 2, retain: true },
    },
    'CONNECT (id "", clean session, keepalive 60 s, will "w" q2 r1 3 bytes)',
  ],
  [{ type: 'connack', sessionPresent: true, returnCode: 0 }, 'CONNACK (session present 1, 0: accepted)'],
  [{ type: 'connack', sessionPresent: false, returnCode: 5 }, 'CONNACK (session present 0, 5: not authorized)'],
  [{ type: 'connack', sessionPresent: false, returnCode: 9 }, 'CONNACK (session present 0, 9: unknown return code)'],
  [
    { type: 'publish', topic: 'a/"b"', payload: bytes('secret'), qos: 0, retain: true, dup: false },
    'PUBLISH (d0, q0, r1, m0, "a/\\"b\\"", 6 bytes)',
  ],
  [
    { type: 'publish', topic: 't', payload: new Uint8Array(), qos: 1, retain: false, dup: true, pid: 7, oversize: 99_999 },
    'PUBLISH (d1, q1, r0, m7, "t", oversize: 99999 bytes, skipped)',
  ],
  [{ type: 'puback', pid: 1 }, 'PUBACK (m1)'],
  [{ type: 'pubrec', pid: 2 }, 'PUBREC (m2)'],
  [{ type: 'pubrel', pid: 3 }, 'PUBREL (m3)'],
  [{ type: 'pubcomp', pid: 4 }, 'PUBCOMP (m4)'],
  [{ type: 'unsuback', pid: 5 }, 'UNSUBACK (m5)'],
  [
    {
      type: 'subscribe',
      pid: 6,
      subscriptions: [
        { filter: 'a/#', qos: 1 },
        { filter: '+', qos: 0 },
      ],
    },
    'SUBSCRIBE (m6, "a/#" q1, "+" q0)',
  ],
  [{ type: 'suback', pid: 6, returnCodes: [1, 0x80] }, 'SUBACK (m6, granted q1, refused)'],
  [{ type: 'unsubscribe', pid: 8, filters: ['a', 'b'] }, 'UNSUBSCRIBE (m8, "a", "b")'],
  [{ type: 'pingreq' }, 'PINGREQ'],
  [{ type: 'pingresp' }, 'PINGRESP'],
  [{ type: 'disconnect' }, 'DISCONNECT'],
])('%j', (packet, line) => {
  expect(describePacket(packet)).toBe(line)
  expect(describePacket(packet)).not.toContain('secret')
})
