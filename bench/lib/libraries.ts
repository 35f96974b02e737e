/**
 * The libraries a pub→sub run compares, behind one small interface, each in its fastest
 * documented mode: MQTT.js's `publish(topic, payload, { qos }, callback)` (not thousands of
 * pending `publishAsync` calls), @x/simple with its own receive loop (as an application runs
 * one), @x/robust as it is, and the ceiling: a bare socket writing pre-encoded packets.
 */
import net from 'node:net'
import type { LevelStoreOptions } from '@x/level-store'
import { RobustClient } from '@x/robust'
import { MqttClient, PacketDecoder, SDELIVERED, encodePublish, encodeSubscribe, fromServer, type QoS } from '@x/simple'
import mqtt from 'mqtt'
import { temporaryStore } from '../../test/support/temporary-store.js'

/** One connected client. `done` runs when a publish is delivered (QoS 0: handed over; QoS 1/2: acknowledged). */
export interface Side {
  publish(topic: string, payload: Uint8Array, qos: QoS, done: () => void): void
  /** Subscribes; `onMessage` runs for each message received. */
  subscribe(filter: string, qos: QoS, onMessage: () => void): Promise<void>
  close(): Promise<void>
  /** @x/robust: its QoS 1/2 messages unacknowledged now (what its `maxInFlight` bounds). */
  inFlight?(): number
}

export interface Library {
  name: string
  /** The QoS levels it can be measured at. */
  qos: readonly QoS[]
  /** Whether it speaks MQTT over WebSocket (`ws://` URLs). */
  websocket: boolean
  connect(url: string, clientId: string): Promise<Side>
}

/** MQTT.js, speaking MQTT 3.1.1 (its default) or 5. */
const mqttjsClient = (protocolVersion: 4 | 5): Library => ({
  name: 'MQTT.js',
  qos: [0, 1, 2],
  websocket: protocolVersion === 4,
  connect: async (url, clientId) => {
    const client = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, ...(protocolVersion === 5 ? { protocolVersion } : {}) })
    return {
      publish: (topic, payload, qos, done) =>
        void client.publish(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.length), { qos }, done),
      subscribe: async (filter, qos, onMessage) => {
        client.on('message', onMessage)
        await client.subscribeAsync(filter, { qos })
      },
      close: () => client.endAsync(),
    }
  },
})

const mqttjs = mqttjsClient(4)

/** @x/simple, speaking MQTT 3.1.1 (its default) or 5. */
const simpleClient = (protocolVersion: 4 | 5): Library => ({
  name: '@x/simple',
  qos: [0, 1, 2],
  websocket: protocolVersion === 4,
  connect: async (url, clientId) => {
    const client = new MqttClient({ clientId, server: url, ...(protocolVersion === 5 ? { protocolVersion } : {}) })
    const waiting = new Map<number, () => void>()
    let onMessage = (): void => {}
    client.setCallback(() => onMessage())
    client.setCallbackStatus((pid, status) => {
      const done = waiting.get(pid)
      waiting.delete(pid)
      if (status === SDELIVERED) done?.()
    })
    await client.connect()
    let running = true
    const loop = (async () => {
      while (running) await client.waitMsg(1000)
    })().catch((error: unknown) => {
      if (running) console.error('@x/simple receive loop:', error)
    })
    return {
      publish: (topic, payload, qos, done) =>
        void client.publish(topic, payload, { qos }).then((pid) => (pid === undefined ? done() : waiting.set(pid, done))),
      subscribe: async (filter, qos, handler) => {
        onMessage = handler
        const pid = await client.subscribe(filter, { qos })
        await new Promise<void>((resolve) => waiting.set(pid, resolve))
      },
      close: async () => {
        running = false
        await client.disconnect()
        await loop
      },
    }
  },
})

const simple = simpleClient(4)

/**
 * @x/robust as it is (its defaults), speaking MQTT `version`; with `store`, a LevelStore with those
 * options in a temporary folder (removed at close); with `maxInFlight`, that many QoS 1/2 messages
 * unacknowledged at once instead of its default 20.
 */
const robustClient = (version: 4 | 5, { store, maxInFlight }: { store?: LevelStoreOptions; maxInFlight?: number } = {}): Library => ({
  name: '@x/robust',
  qos: [0, 1, 2],
  websocket: version === 4,
  connect: async (url, clientId) => {
    const stored = store && temporaryStore('mqtt-bench', store)
    const client = new RobustClient({
      clientId,
      server: url,
      ...(version === 5 && { protocolVersion: 5 }),
      ...(stored && { store: stored.store }),
      ...(maxInFlight && { maxInFlight }),
    })
    // The store holds LevelDB's lock on the folder: released, and the folder gone, at close or when connect() fails.
    const release = async (): Promise<void> => {
      await client.close()
      await stored?.remove()
    }
    await client.connect().catch(async (error: unknown) => {
      await release()
      throw error
    })
    return {
      publish: (topic, payload, qos, done) => void client.publish(topic, payload, { qos }).then(done, () => {}),
      subscribe: async (filter, qos, onMessage) => {
        client.on('message', onMessage)
        await client.subscribe(filter, { qos })
      },
      close: release,
      inFlight: () => client.inFlight,
    }
  },
})

const robust = robustClient(4)

/**
 * The reference at QoS 0, where the broker is what limits everyone: a bare socket writing one
 * pre-encoded PUBLISH over and over, all of a tick in one writev, each delivered when Node has
 * handed it to the kernel; and a bare socket counting the bytes that come back. It does nothing
 * a client must do (no checks, no session), so a client near it has little left to gain.
 */
const bareSocket: Library = {
  name: 'bare socket',
  qos: [0],
  websocket: false,
  connect: async (url) => {
    const { hostname, port } = new URL(url)
    const socket = net.connect({ host: hostname, port: Number(port), noDelay: true })
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    const decoder = new PacketDecoder(fromServer)
    let subscribed = (): void => {}
    let onData: ((chunk: Uint8Array) => void) | undefined
    socket.on('data', (chunk: Uint8Array) => {
      if (onData) return onData(chunk)
      for (const p of decoder.push(chunk)) if (p.type === 'suback') subscribed()
    })
    // CONNECT, clean session, an empty client id: the broker names it.
    socket.write(Uint8Array.of(0x10, 12, 0, 4, 77, 81, 84, 84, 4, 2, 0, 0, 0, 0))
    await new Promise<void>((resolve) => socket.once('data', (chunk: Uint8Array) => chunk[0] === 0x20 && resolve()))
    let corked = false
    const uncork = (): void => {
      corked = false
      socket.uncork()
    }
    let packet: Uint8Array | undefined
    return {
      // Delivered, for QoS 0, once Node has handed the bytes to the kernel: the write's callback.
      publish: (topic, payload, _qos, done) => {
        packet ??= encodePublish({ type: 'publish', topic, payload, qos: 0, retain: false, dup: false }).slice()
        if (!corked) {
          corked = true
          socket.cork()
          process.nextTick(uncork)
        }
        socket.write(packet, () => done())
      },
      subscribe: async (filter, _qos, onMessage) => {
        const acked = new Promise<void>((resolve) => (subscribed = resolve))
        socket.write(encodeSubscribe({ type: 'subscribe', pid: 1, subscriptions: [{ filter, qos: 0 }] }))
        await acked
        // Every message of a run is the same size: the first header gives it, the byte count the rest.
        let size = 0
        let bytes = 0
        let seen = 0
        onData = (chunk) => {
          if (!size) size = packetSize(chunk)
          bytes += chunk.length
          for (const whole = Math.floor(bytes / size); seen < whole; seen++) onMessage()
        }
      },
      close: async () => {
        socket.end(Uint8Array.of(0xe0, 0))
        await new Promise((resolve) => socket.once('close', resolve))
      },
    }
  },
}

/** The size of the packet whose fixed header starts `chunk`: 1 + its Remaining Length bytes + the Remaining Length. */
function packetSize(chunk: Uint8Array): number {
  let length = 0
  let i = 1
  for (let shift = 0; ; shift += 7, i++) {
    const byte = chunk[i] as number
    length += (byte & 127) << shift
    if (!(byte & 128)) break
  }
  return i + 1 + length
}

export const LIBRARIES: readonly Library[] = [mqttjs, simple, robust, bareSocket]

/**
 * The same two clients speaking MQTT 5 (`protocolVersion: 5`), named as their MQTT 3.1.1 selves
 * so that their rows line up under the same columns. Over TCP to mosquitto only (aedes speaks 3.1.1).
 */
export const LIBRARIES_V5: readonly Library[] = [mqttjsClient(5), simpleClient(5), robustClient(5)]

/** MQTT.js as ever, beside @x/robust with a LevelStore (durable sessions: every message written ahead to LevelDB), named as its in-memory self so that the row lines up. */
export const LIBRARIES_DURABLE: readonly Library[] = [mqttjsClient(4), robustClient(4, { store: {} })]

/** The window of the rows `with maxInFlight 100: …`: as many on the wire as the row keeps outstanding, as MQTT.js has. */
export const WIDE_WINDOW = 100

/**
 * MQTT.js beside @x/robust with `maxInFlight` WIDE_WINDOW, in memory and with a LevelStore: the
 * default 20 bounds a durable client's QoS 2 (two store writes on each exchange's way), and a broker
 * that accepts more (mosquitto's `max_inflight_messages`, MQTT 5's Receive Maximum) lets it go further.
 */
export const LIBRARIES_WIDE: readonly Library[] = [mqttjsClient(4), robustClient(4, { maxInFlight: WIDE_WINDOW })]
export const LIBRARIES_DURABLE_WIDE: readonly Library[] = [mqttjsClient(4), robustClient(4, { store: {}, maxInFlight: WIDE_WINDOW })]
/** The same with the LevelStore's `sync: false`: a batch durable once the OS has LevelDB's log (a dying process loses nothing; a power cut may). */
export const LIBRARIES_DURABLE_WIDE_NOSYNC: readonly Library[] = [
  mqttjsClient(4),
  robustClient(4, { store: { sync: false }, maxInFlight: WIDE_WINDOW }),
]

/**
 * Each library's client as a program holds it while idle: connected with its default options,
 * nothing in flight, no adapter around it. Returns how to close it.
 */
export const IDLE: Record<string, (url: string, clientId: string) => Promise<() => Promise<void>>> = {
  'MQTT.js': async (url, clientId) => {
    const client = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0 })
    return () => client.endAsync()
  },
  '@x/simple': async (url, clientId) => {
    const client = new MqttClient({ clientId, server: url })
    await client.connect()
    return () => client.disconnect()
  },
  '@x/robust': async (url, clientId) => {
    const client = new RobustClient({ clientId, server: url })
    await client.connect()
    return () => client.close()
  },
}
