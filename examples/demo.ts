/**
 * `pnpm demo` (from the repository root): the two-device LED remote of seed 004 on a broker
 * embedded in this process: no broker to install, no network, done in about four seconds.
 * Any option of led-remote.ts works here too (`pnpm demo --url mqtt://localhost`).
 */
import { main as ledRemote } from './led-remote.js'
import { isMain, runMain, type Print } from './lib/main.js'

const USAGE = 'Usage: pnpm -s demo [led-remote options; see pnpm -s --filter @x/examples run led-remote --help]'

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  print('x-mqtt demo: two simulated ESP32 boards, "blue" and "green", each pressing its button and')
  print('lighting its LED when the other presses, over MQTT (@x/simple, QoS 0, checkMsg polling).')
  print('')
  // The user's options come last, so they win over these defaults.
  await ledRemote(['--ticks', '8', '--interval', '400', ...argv], print)
  print('')
  print('Done. More: examples/README.md (every tutorial scenario, and the mqtt pub/sub command).')
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
