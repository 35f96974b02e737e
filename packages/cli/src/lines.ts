/**
 * The lines of a byte stream for `pub -l`, as mosquitto_pub reads them: split at each LF (0x0A)
 * and given as the bytes between, nothing decoded (a byte that is not UTF-8 stays that byte) and
 * a CR kept (a lone CR is no line end; the CR of CRLF stays in its line, as mosquitto_pub leaves
 * it); a last line without LF is a line too. Ends with the stream.
 */
export async function* linesOf(input: AsyncIterable<Uint8Array | string>): AsyncGenerator<Uint8Array> {
  // The start of a line that has not ended yet, in the chunks it came in (joined once it ends).
  let parts: Uint8Array[] = []
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    let start = 0
    for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a, start)) {
      parts.push(bytes.subarray(start, end))
      yield Buffer.concat(parts) // a copy: a chunk's memory is the stream's
      parts = []
      start = end + 1
    }
    if (start < bytes.length) parts.push(bytes.slice(start))
  }
  if (parts.length) yield Buffer.concat(parts)
}

