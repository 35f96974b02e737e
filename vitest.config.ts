import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// One project per package, plus the cross-package tests and the examples. Workspace packages
// export their TypeScript sources, so tests always run the code as it is, never a stale build.
// The test utilities every project shares live in test/support, reached as @x/test-support/*
// (the same alias is in tsconfig.json): no test climbs into another package's folders.
export default defineConfig({
  resolve: {
    alias: [{ find: /^@x\/test-support\/(.*)\.js$/, replacement: `${fileURLToPath(new URL('./test/support/', import.meta.url))}$1.ts` }],
  },
  test: {
    setupFiles: ['test/support/no-leaked-handles.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'errno', include: ['packages/errno/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'simple', include: ['packages/simple/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'robust', include: ['packages/robust/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'level-store', include: ['packages/level-store/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'examples', include: ['examples/**/*.test.ts'] } },
      { extends: true, test: { name: 'bench', include: ['bench/**/*.test.ts'] } },
    ],
  },
})
