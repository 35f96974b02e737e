#!/usr/bin/env node
/**
 * Makes sure the programs the tests drive are installed before they run (`pnpm test` runs this
 * first): the mosquitto broker (the integration tests start their own daemon on free loopback
 * ports) and headless Chromium (the browser test loads the web page example in it).
 *
 * - Installed already (`mosquitto`, `mosquitto_passwd` and `chromium` on PATH or in /usr/sbin):
 *   prints nothing.
 * - Missing, on a Debian-like system, as root or with passwordless sudo: `apt-get update`, then
 *   `apt-get install -y` the Debian packages of what is missing.
 * - Otherwise: exits 1 with a message saying what to install.
 *
 * Plain Node ESM with no dependencies: it runs before `pnpm install` has been checked.
 */
import { spawnSync } from 'node:child_process'
import { findProgram } from './find-program.mjs'

// Each program the tests need, and the Debian packages that bring it. The daemon lives in sbin,
// which a non-root PATH often lacks; mosquitto_passwd makes the password file.
const NEEDED = {
  mosquitto: ['mosquitto', 'mosquitto-clients'],
  mosquitto_passwd: ['mosquitto', 'mosquitto-clients'],
  chromium: ['chromium'],
}
const missing = () => Object.keys(NEEDED).filter((name) => !findProgram(name))
const packagesOf = (names) => [...new Set(names.flatMap((name) => NEEDED[name]))]
const PACKAGES = packagesOf(missing())

function fail(message) {
  console.error(`ensure-test-programs: ${message}`)
  process.exit(1)
}

const help =
  'The tests need the mosquitto MQTT broker (they start their own daemon on free loopback ports) and\n' +
  'Chromium (the browser test runs it headless).\n' +
  `  Debian/Ubuntu: sudo apt-get install ${packagesOf(Object.keys(NEEDED)).join(' ')}\n` +
  '  Fedora: sudo dnf install mosquitto chromium    macOS: brew install mosquitto chromium'

if (missing().length === 0) process.exit(0)

if (process.platform !== 'linux' || !findProgram('apt-get')) {
  fail(`${missing().join(', ')} not found, and this system has no apt-get to install them with.\n${help}`)
}

// Root installs directly; otherwise only sudo that needs no password (never prompt inside a test run).
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const sudo = !isRoot && findProgram('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0
if (!isRoot && !sudo) {
  fail(`${missing().join(', ')} not found, and installing needs root (or passwordless sudo).\n${help}`)
}

/** Runs apt-get (through sudo when not root); exits with its output on failure. */
function aptGet(args) {
  const command = sudo ? 'sudo' : 'apt-get'
  const argv = sudo ? ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args] : args
  console.error(`ensure-test-programs: ${sudo ? 'sudo ' : ''}apt-get ${args.join(' ')}`)
  const result = spawnSync(command, argv, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  })
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n')
    const why = result.error ? result.error.message : `exit status ${result.status ?? result.signal}`
    fail(`apt-get ${args.join(' ')} failed (${why}):\n${output}\n${help}`)
  }
}

console.error(`ensure-test-programs: ${missing().join(', ')} not found; installing Debian's ${PACKAGES.join(', ')}.`)
aptGet(['update'])
aptGet(['install', '-y', '--no-install-recommends', ...PACKAGES])

const still = missing()
if (still.length) fail(`${still.join(', ')} still not found after installing ${PACKAGES.join(' ')}.\n${help}`)
console.error(`ensure-test-programs: installed ${Object.keys(NEEDED).map(findProgram).join(', ')}.`)
