/**
 * MQTT 5's Server Reference (MQTT 5.0 §4.11) as a server URL. The standard leaves its form open;
 * brokers send `host`, `host:port`, a URL, or several of them separated by spaces (the first is
 * taken). What the reference leaves out (scheme, port, WebSocket path, and the user name and
 * password a URL may carry) is the current server's. `undefined` when nothing usable is there.
 */
export function referenced(reference: string, current: string): string | undefined {
  const first = reference.trim().split(/\s+/)[0]
  if (!first) return undefined
  const base = current.includes('://') ? new URL(current) : new URL(`mqtt://${current}`)
  // A reference without a port means the scheme's usual one, not the current server's.
  const candidate = first.includes('://') ? first : `${base.protocol}//${first}${base.pathname === '/' ? '' : base.pathname}`
  if (!URL.canParse(candidate)) return undefined
  const url = new URL(candidate)
  if (!url.hostname) return undefined
  if (!url.username && base.username) {
    url.username = base.username
    url.password = base.password
    return url.href
  }
  return candidate
}
