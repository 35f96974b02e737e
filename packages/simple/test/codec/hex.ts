/**
 * Byte helpers for the codec tests and fixtures. No vitest imports: the benchmark imports the
 * fixtures too. Bytes are spelled out by hand (hex, or ASCII letters), never produced by the
 * codec under test, so a test can catch an encoder bug.
 */

/** Bytes from hex text such as '10 0c 00 04'; spaces and line breaks are ignored. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '')
  if (!/^(?:[0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex: ${text}`)
  const out = new Uint8Array(digits.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** The bytes of ASCII text. Refuses anything else, so that UTF-8 is always written out by hand. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 127) throw new Error(`not ASCII: ${JSON.stringify(text)}`)
    out[i] = code
  }
  return out
}

/** Concatenates parts; a string part is hex. */
export function cat(...parts: Array<string | Uint8Array>): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? hex(p) : p))
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0))
  let at = 0
  for (const a of arrays) {
    out.set(a, at)
    at += a.length
  }
  return out
}

/** `n` bytes of a fixed, non-constant pattern (so a shifted or truncated copy is visible). */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = (i * 7 + seed) & 255
  return out
}

/** Lower-case hex with spaces, cut after `max` bytes (for messages). */
export function toHex(bytes: Uint8Array, max = 256): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ')
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown
}

/** Where two byte strings first differ, as a sentence; `undefined` when they are equal. */
export function byteDifference(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const n = Math.min(actual.length, expected.length)
  let i = 0
  while (i < n && actual[i] === expected[i]) i++
  if (i === n && actual.length === expected.length) return undefined
  const from = Math.max(0, i - 8)
  return (
    `${actual.length} bytes, expected ${expected.length}; first difference at byte ${i}:\n` +
    `  got      …${toHex(actual.subarray(from, i + 16), 24)}\n` +
    `  expected …${toHex(expected.subarray(from, i + 16), 24)}`
  )
}
