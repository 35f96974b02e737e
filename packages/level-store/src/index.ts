export { LevelStore, type LevelStoreOptions } from './level-store.js'
