/**
 * The library's messages in the CLI's words. @x/simple and @x/robust name their options in what
 * they say ("No CONNACK … within 5000 ms (socketTimeoutMs)"): right for a program that set
 * socketTimeoutMs, a dead end for a shell user, whose knob is -W. Every message the CLI prints
 * from the library goes through here, so that each option the CLI sets (see `client` in
 * options.ts) is named by the flag that sets it. Only the camelCase names: plain words such as
 * "port" or "user" mean the same to both.
 */

/** Library option → the flag that sets it. socketTimeoutMs is -W, capped at the usual 5 s. */
const FLAG_OF: Readonly<Record<string, string>> = {
  socketTimeoutMs: '-W, 5 s at most',
  messageTimeoutMs: '-W',
  keepaliveSec: '-k',
  clientId: '-i',
  cleanSession: '-c',
}

// A quoted part (a topic, a client id the user typed) is left as it is: it may hold the same word.
const NAMES = new RegExp(`"(?:[^"\\\\]|\\\\.)*"|\\b(${Object.keys(FLAG_OF).join('|')})\\b`, 'g')

/** `text` with the library's option names replaced by the CLI's flags: "(socketTimeoutMs)" → "(-W, 5 s at most)". */
export function inCliTerms(text: string): string {
  return text.replace(NAMES, (match, name: string | undefined) => (name ? (FLAG_OF[name] as string) : match))
}
