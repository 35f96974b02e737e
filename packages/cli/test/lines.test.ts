/** `pub -l`'s lines across chunk boundaries: split at LF only, bytes as they came, a last line without LF. */
import { expect, test } from 'vitest'
import { linesOf } from '../src/lines.js'

async function* chunks(...parts: Array<string | number[]>): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? Buffer.from(part) : Uint8Array.from(part)
}

const lines = async (input: AsyncIterable<Uint8Array>): Promise<string[]> => {
  const out: string[] = []
  for await (const line of linesOf(input)) out.push(Buffer.from(line).toString('latin1'))
  return out
}

test('a line split across chunks, CRLF split between two, an empty line, and a last line without LF', async () => {
  expect(await lines(chunks('ab', 'c\r', '\nd', 'e\n', '', '\n', 'f'))).toEqual(['abc\r', 'de', '', 'f'])
})

test('a UTF-8 character split between chunks and a byte that is not UTF-8 stay the bytes they were', async () => {
  expect(await lines(chunks([0x63, 0xc3], [0xa9, 0x0a, 0xe9, 0x0a]))).toEqual(['c\xc3\xa9', '\xe9'])
})

test('nothing in, nothing out; LF alone is one empty line', async () => {
  expect(await lines(chunks())).toEqual([])
  expect(await lines(chunks('\n'))).toEqual([''])
})
