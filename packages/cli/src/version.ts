import { readFileSync } from 'node:fs'

/** `mqtt --version`: this package's version, read from its package.json (beside src/ and dist/ alike). */
export function versionText(): string {
  const { name, version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    name: string
    version: string
  }
  return `mqtt ${version} (${name}), MQTT 3.1.1 and 5.0\n`
}
