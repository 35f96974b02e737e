/**
 * MQTT 5's Server Reference (MQTT 5.0 §4.11) read as a server URL: its form is the broker's
 * choice, so the common ones are taken, and what it leaves out is the current server's.
 */
import { expect, test } from 'vitest'
import { referenced } from '../src/server-reference.js'

test.each([
  ['host alone: the scheme of the current server, the scheme’s port', 'other.example', 'mqtts://a.example:8883', 'mqtts://other.example'],
  ['host:port', 'other.example:1884', 'mqtt://a.example:1883', 'mqtt://other.example:1884'],
  ['a URL as it is', 'ws://b.example:8080/mqtt', 'mqtt://a.example', 'ws://b.example:8080/mqtt'],
  ['several, space-separated: the first', 'b.example:1 c.example:2', 'mqtt://a.example', 'mqtt://b.example:1'],
  ['over WebSocket, the current path is kept', 'b.example:9001', 'wss://a.example/mqtt', 'wss://b.example:9001/mqtt'],
  ['an IPv6 address with a port', '[::1]:1884', 'mqtt://127.0.0.1:1883', 'mqtt://[::1]:1884'],
  ['a current server given as a bare host', 'b.example', 'a.example', 'mqtt://b.example'],
])('%s', (_, reference, current, expected) => {
  expect(referenced(reference, current)).toBe(expected)
})

test.each([
  ['empty', ''],
  ['blank', '   '],
  ['a malformed URL', 'mqtt://'],
  ['no host', ':1884'],
])('nothing usable (%s): undefined, the list unchanged', (_, reference) => {
  expect(referenced(reference, 'mqtt://a.example')).toBeUndefined()
})
