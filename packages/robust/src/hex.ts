/** Bytes as lowercase hex, two digits each: correlation data as a map key, binary values in JSON, random ids. */
export const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/** The bytes `hex()` wrote. */
export const fromHex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16))
