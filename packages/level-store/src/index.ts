export { LevelStore } from './level-store.js'
