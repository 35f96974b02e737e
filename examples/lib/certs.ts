/**
 * Certificates made for one run with openssl: a CA, a server certificate for localhost /
 * 127.0.0.1 / ::1, and a client certificate. Files live in a fresh temporary folder that any
 * user can read (mosquitto, started as root, reads its keys as the `mosquitto` user).
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface CertFiles {
  /** PEM text. */
  cert: string
  key: string
  /** File paths of the same. */
  certFile: string
  keyFile: string
}

export interface Certs {
  dir: string
  ca: string
  caFile: string
  server: CertFiles
  client: CertFiles
  /** Issues another certificate from the same CA, e.g. for a host name the server does not have. */
  issue(name: string, subjectAltName: string): CertFiles
  /** Deletes the folder. */
  remove(): void
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

// EC P-256 keys: generated in milliseconds, unlike RSA.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'x-mqtt-certs-'))
  chmodSync(dir, 0o755)
  openssl(dir, ['req', '-x509', ...NEW_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=x-mqtt test CA'])
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8')

  const issue = (name: string, subjectAltName: string): CertFiles => {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${subjectAltName}\nbasicConstraints=CA:FALSE\n`)
    openssl(dir, ['req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`])
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ])
    for (const file of [`${name}.key`, `${name}.crt`]) chmodSync(join(dir, file), 0o644)
    return { cert: read(`${name}.crt`), key: read(`${name}.key`), certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) }
  }

  chmodSync(join(dir, 'ca.crt'), 0o644)
  return {
    dir,
    ca: read('ca.crt'),
    caFile: join(dir, 'ca.crt'),
    server: issue('server', 'DNS:localhost,IP:127.0.0.1,IP:::1'),
    client: issue('client', 'DNS:client'),
    issue,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
