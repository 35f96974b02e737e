/** A fresh folder under the system's temp folder for one test's stores; `remove()` deletes it and all inside. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TempFolder {
  path: string
  remove(): void
}

export function tempFolder(): TempFolder {
  const path = mkdtempSync(join(tmpdir(), 'x-level-store-'))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}
