/**
 * MqttClients on MQTT 5.0 for integration tests: each records what its callbacks receive, with
 * the v5 additions (the PUBLISH properties of a message, the reason code and properties of a
 * status), and a pool disconnects every client it made, so no test file leaves a socket behind.
 */
import { afterAll, afterEach, beforeAll } from 'vitest'
import { MqttClient, type AckProperties, type ClientOptions, type ConnectProperties, type PublishProperties, type QoS } from '@x/simple'
import { startMosquitto, type Mosquitto } from './mosquitto.js'
import { startWireProxy, type WireProxy } from './mqtt5-wire-proxy.js'
import { Recording, type Received } from './test-clients.js'
import { withDeadline } from './wait.js'

export interface Received5 extends Received {
  /** The PUBLISH's properties as received (undefined would mean MQTT 3.1.1). */
  properties: PublishProperties | undefined
}

export interface Status5 {
  pid: number
  status: number
  /** The reason code of the PUBACK / PUBREC / PUBCOMP / SUBACK / UNSUBACK. */
  code: number | undefined
  /** `reasonString` and `userProperties` if the ack carried them. */
  properties: AckProperties | undefined
}

/** The v5 options beside the 3.1.1 ones (typed here so the file stands before the client has them). */
export type Options5 = Omit<ClientOptions, 'protocolVersion' | 'properties'> & {
  properties?: ConnectProperties
  topicAliases?: boolean
}

/** The v5 surface of MqttClient the tests use, with the v5 callback signatures. */
interface ClientV5 {
  setCallback(
    cb: (topic: string, payload: Uint8Array, retained: boolean, dup: boolean, qos: QoS, properties?: PublishProperties) => void,
  ): void
  setCallbackStatus(cb: (pid: number, status: number, code?: number, properties?: AckProperties) => void): void
}

const decoder = new TextDecoder()

/** A v5 client and everything its callbacks saw, in order. */
export class Recorder5 extends Recording<Received5, Status5> {
  readonly client: MqttClient

  constructor(options: Options5) {
    super()
    this.client = new MqttClient({ ...options, protocolVersion: 5 } as unknown as ClientOptions)
    const v5 = this.client as unknown as ClientV5
    v5.setCallback((topic, payload, retained, dup, qos, properties) => {
      this.messages.push({ topic, payload, text: decoder.decode(payload), retained, dup, qos, properties })
    })
    v5.setCallbackStatus((pid, status, code, properties) => this.statuses.push({ pid, status, code, properties }))
  }

  /** The last status reported for `pid`, or undefined. */
  statusOf(pid: number | undefined): Status5 | undefined {
    return this.lastStatus(pid)
  }
}

/** Makes v5 clients and disconnects them all at the end. */
export class Pool5 {
  readonly #made = new Set<Recorder5>()

  make(options: Options5): Recorder5 {
    const recorder = new Recorder5(options)
    this.#made.add(recorder)
    return recorder
  }

  async closeAll(): Promise<void> {
    const all = [...this.#made]
    this.#made.clear()
    // A client whose link the broker ended may reject disconnect(): not what these tests check.
    await Promise.all(all.map((r) => withDeadline(r.client.disconnect(), 10_000, 'disconnect()').catch(() => {})))
  }
}

/** Runs the receive loop of the clients for `ms` (to see that nothing more arrives). */
export async function pumpFor(clients: Recorder5 | Recorder5[], ms: number): Promise<void> {
  const list = Array.isArray(clients) ? clients : [clients]
  const end = Date.now() + ms
  while (Date.now() < end) await Promise.all(list.map((r) => r.client.waitMsg(Math.max(1, Math.min(20, end - Date.now())))))
}

export interface Mosquitto5Fixture {
  /** The daemon, once `beforeAll` has run. */
  readonly mosquitto: Mosquitto
  /** The wire proxy in front of its plain listener (with `{ wire: true }`), for tests about the bytes. */
  readonly wire: WireProxy
  /** Clients closed after each test. */
  readonly pool: Pool5
}

/**
 * The setup the MQTT 5 files against mosquitto share: one daemon for the file (its defaults plus
 * `settings`), a wire proxy in front of it if asked, and a pool whose clients are closed after
 * each test. Registers the hooks in the calling file or describe block.
 */
export function useMosquitto5({
  settings,
  wire: withWire = false,
}: { settings?: readonly string[]; wire?: boolean } = {}): Mosquitto5Fixture {
  let mosquitto: Mosquitto | undefined
  let wire: WireProxy | undefined
  const pool = new Pool5()
  beforeAll(async () => {
    mosquitto = await startMosquitto(settings ? { settings } : {})
    if (withWire) wire = await startWireProxy(mosquitto.ports.plain)
  })
  afterEach(() => pool.closeAll())
  afterAll(async () => {
    await pool.closeAll()
    await wire?.close()
    await mosquitto?.stop()
  })
  return {
    get mosquitto() {
      if (!mosquitto) throw new Error('mosquitto starts in beforeAll: use it inside a test')
      return mosquitto
    },
    get wire() {
      if (!wire)
        throw new Error(
          withWire ? 'the wire proxy starts in beforeAll: use it inside a test' : 'useMosquitto5({ wire: true }) makes the wire proxy',
        )
      return wire
    },
    pool,
  }
}
