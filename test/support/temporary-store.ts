import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStore, type LevelStoreOptions } from '@x/level-store'

/** A LevelStore in a temporary folder, and how to close it and remove the folder (the client's close() leaves the store to its owner). */
export function temporaryStore(name: string, options?: LevelStoreOptions): { store: LevelStore; remove: () => Promise<void> } {
  const folder = mkdtempSync(join(tmpdir(), `x-${name}-store-`))
  const store = new LevelStore(folder, options)
  return {
    store,
    remove: async () => {
      await store.close()
      rmSync(folder, { recursive: true, force: true })
    },
  }
}
