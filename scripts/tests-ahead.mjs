#!/usr/bin/env node
/**
 * One line, printed by `pnpm test` before the type-check, so that a newcomer knows what the
 * silence that follows is and how long it lasts (figures from a 2-core machine; keep them in step
 * with the root README's "Start here").
 */
console.log('pnpm test: type-checking (about 10 s), then the tests (about 5 min on 2 cores)…')
