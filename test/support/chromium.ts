/**
 * Headless Chromium for the browser tests: Debian's `chromium` (installed by
 * scripts/ensure-test-programs.mjs like mosquitto), driven by playwright-core, which downloads no
 * browser of its own and drives the one at the path it is given. The browser gets a fresh
 * profile and no network beyond what the page asks for (loopback here).
 */
import { chromium, type Browser } from 'playwright-core'
import { findProgram } from '../../scripts/find-program.mjs'

/** The chromium binary, or `undefined` when it is not installed. */
export const chromiumPath = (): string | undefined => findProgram('chromium') ?? findProgram('chromium-browser')

/** Starts headless Chromium; close it with `browser.close()`. */
export async function startChromium(): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!executablePath) throw new Error('chromium is not installed (scripts/ensure-test-programs.mjs installs it)')
  // --no-sandbox: the tests may run as root (CI does), where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'], timeout: 20_000 })
}
