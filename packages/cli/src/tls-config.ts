/**
 * The TLS flags (--cafile, --capath, --cert, --key, --insecure) as Node's TLS options. Any one of
 * them turns TLS on, as with mosquitto_pub.
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { TlsOptions } from '@x/simple'
import { usage } from './usage.js'

export interface TlsFlags {
  cafile?: string | undefined
  capath?: string | undefined
  cert?: string | undefined
  key?: string | undefined
  insecure?: boolean | undefined
}

/** Reads a file the user named; a failure is a usage error that names the flag. */
export type ReadFile = (file: string, flag: string) => Buffer

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----'

/**
 * Every PEM certificate in the folder, as `openssl rehash` leaves it (`<hash>.0` links) or as
 * plain `.pem` / `.crt` files: each regular file that holds one. Other files are passed over.
 */
function certificatesIn(folder: string, read: ReadFile): Buffer[] {
  let names: string[]
  try {
    names = readdirSync(folder)
  } catch (error) {
    throw usage(`cannot read --capath ${folder}: ${(error as Error).message}`)
  }
  const found = names
    .map((name) => join(folder, name))
    .filter((path) => statSync(path, { throwIfNoEntry: false })?.isFile())
    .map((path) => read(path, '--capath'))
    .filter((pem) => pem.includes(PEM_CERTIFICATE))
  if (!found.length) throw usage(`--capath ${folder} holds no PEM certificate (files with "${PEM_CERTIFICATE}")`)
  return found
}

/** Whether the flags ask for TLS. */
export const wantsTls = (f: TlsFlags): boolean =>
  f.cafile !== undefined || f.capath !== undefined || f.cert !== undefined || f.insecure === true

/** Node's TLS options for the flags. `resolvePath` makes a relative folder absolute. */
export function tlsOptionsOf(f: TlsFlags, read: ReadFile, resolvePath: (path: string) => string): TlsOptions {
  if ((f.cert === undefined) !== (f.key === undefined)) throw usage('--cert and --key go together')
  const ca = [
    ...(f.cafile !== undefined ? [read(f.cafile, '--cafile')] : []),
    ...(f.capath !== undefined ? certificatesIn(resolvePath(f.capath), read) : []),
  ]
  return {
    ...(ca.length && { ca }),
    ...(f.cert !== undefined && { cert: read(f.cert, '--cert') }),
    ...(f.key !== undefined && { key: read(f.key, '--key') }),
    // Any certificate, as MQTT.js's --insecure and curl's -k: for test brokers with self-made
    // certificates. (mosquitto_pub's --insecure skips only the host name check.)
    ...(f.insecure && { rejectUnauthorized: false }),
  }
}
