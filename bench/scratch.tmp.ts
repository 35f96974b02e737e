import { execFileSync } from 'node:child_process'
import { startMosquitto } from '../test/support/mosquitto.js'
const m = await startMosquitto()
try {
  for (const f of ['footprint/u8mqtt-v5-qos1.ts', 'footprint/mqttjs-v5-qos1.ts']) {
    try { console.log(f, execFileSync(process.execPath, ['--import', 'tsx', f, m.urls.plain], { encoding: 'utf8', timeout: 10000 })) } catch (e) { console.log(f, String((e as any).stderr).slice(0, 500)) }
  }
} finally { await m.stop() }
