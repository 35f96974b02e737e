/**
 * The closest thing to a broker cluster Debian's mosquitto gives: two daemons, A and B, joined by
 * a `connection` bridge from A to B carrying `#` both ways at QoS 1, so a client on either sees
 * what is published on the other. Each daemon is otherwise at its default settings. B starts
 * first; A's bridge retries every second, so a restarted A joins again by itself.
 */
import { MqttClient } from '@x/simple'
import { startMosquitto, type Mosquitto } from './mosquitto.js'
import { isAlive } from './processes.js'
import { sleep, waitFor } from './wait.js'

export interface BridgedPair {
  a: Mosquitto
  b: Mosquitto
  /** Kills A (SIGKILL: a crashed node) and waits for it to be gone. */
  killA(): Promise<void>
  /** Starts A again on its ports, and waits until its bridge to B carries messages again. */
  restartA(): Promise<void>
  stop(): Promise<void>
}

export async function startBridgedPair(): Promise<BridgedPair> {
  const b = await startMosquitto()
  let a: Mosquitto
  try {
    a = await startMosquitto({
      settings: [
        'connection a-to-b',
        `address 127.0.0.1:${b.ports.plain}`,
        'topic # both 1',
        'bridge_protocol_version mqttv311',
        'cleansession true',
        'restart_timeout 1',
        'notifications false',
      ],
    })
  } catch (error) {
    await b.stop()
    throw error
  }
  await bridged(a, b)
  return {
    a,
    b,
    async killA() {
      const pid = a.pid
      process.kill(pid, 'SIGKILL')
      await waitFor(() => !isAlive(pid), 'mosquitto A to exit', 5000)
    },
    async restartA() {
      await a.restart()
      await bridged(a, b)
    },
    async stop() {
      await a.stop()
      await b.stop()
    },
  }
}

/** Waits (up to 10 s) until a message published on A arrives on B: the bridge is up. */
async function bridged(a: Mosquitto, b: Mosquitto): Promise<void> {
  const topic = `bridge-probe/${process.pid}/${Date.now()}`
  const [publisher, listener] = [
    new MqttClient({ clientId: `${topic}/p`, server: a.urls.plain }),
    new MqttClient({ clientId: `${topic}/l`, server: b.urls.plain }),
  ]
  let crossed = false
  listener.setCallback(() => (crossed = true))
  try {
    await listener.connect()
    await listener.subscribe(topic)
    await publisher.connect()
    const deadline = Date.now() + 10_000
    while (!crossed) {
      if (Date.now() > deadline) throw new Error('the bridge from mosquitto A to B did not come up within 10 s')
      await publisher.publish(topic, 'probe')
      await listener.waitMsg(200)
      await sleep(20)
    }
  } finally {
    await publisher.disconnect()
    await listener.disconnect()
  }
}
