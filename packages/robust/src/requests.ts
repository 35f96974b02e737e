import { MqttError, type MqttPayload, type Payload, type PublishProperties, type QoS } from '@x/simple'
import { hex } from './hex.js'

/** The answer to a `request()`: the message that came back with its correlation data. */
export interface Response {
  topic: string
  payload: MqttPayload
  properties: PublishProperties
}

/** Options of `request()`. */
export interface RequestOptions {
  /** The request's QoS. @default 1 */
  qos?: QoS
  /** How long to wait for the response; then ETIMEOUT. @default 10000 */
  timeoutMs?: number
  /** More PUBLISH properties (the client sets `responseTopic` and `correlationData` itself). */
  properties?: PublishProperties
}

type Publish = (topic: string, payload: Payload, options: { qos: QoS; properties: PublishProperties }) => Promise<void>

/**
 * MQTT 5 request/response (MQTT 5.0 §4.10) for one client: a response topic of its own,
 * subscribed once at the first request (and, like every subscription, again after a lost
 * session), and the requests waiting, by correlation data. A response settles its request once;
 * one that comes late, twice or for nobody is dropped.
 */
export class Requests {
  readonly #subscribe: (topic: string) => Promise<unknown>
  readonly #publish: Publish
  #topic: string | undefined
  /** The subscription to the response topic, made once (again after it failed). */
  #subscribed: Promise<unknown> | undefined
  readonly #waiting = new Map<
    string,
    { resolve: (response: Response) => void; reject: (error: unknown) => void; timer: ReturnType<typeof setTimeout> }
  >()

  readonly #clientId: string

  constructor(clientId: string, subscribe: (topic: string) => Promise<unknown>, publish: Publish) {
    this.#clientId = clientId
    this.#subscribe = subscribe
    this.#publish = publish
  }

  request(topic: string, payload: Payload, { qos = 1, timeoutMs = 10_000, properties }: RequestOptions = {}): Promise<Response> {
    if (!(timeoutMs > 0))
      return Promise.reject(new MqttError('EOPTION', `Invalid option timeoutMs: ${String(timeoutMs)} is not a positive number of ms`))
    const responseTopic = this.#ownTopic()
    const correlationData = crypto.getRandomValues(new Uint8Array(16))
    const key = hex(correlationData)
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key)
        reject(
          new MqttError('ETIMEOUT', `No response to the request to "${topic}" within ${timeoutMs} ms (timeoutMs)`, {
            topic,
            operation: 'request',
          }),
        )
      }, timeoutMs)
      this.#waiting.set(key, { resolve, reject, timer })
      const fail = (error: unknown): void => {
        if (!this.#waiting.delete(key)) return
        clearTimeout(timer)
        reject(error)
      }
      // Subscribed (once) before the request goes: both wait in the client's queue, subscriptions first.
      this.#subscribed ??= this.#subscribe(responseTopic).catch((error: unknown) => {
        this.#subscribed = undefined
        throw error
      })
      this.#subscribed.catch(fail)
      this.#publish(topic, payload, { qos, properties: { ...properties, responseTopic, correlationData } }).catch(fail)
    })
  }

  /**
   * A message arrived: whether it is a response (then it settles its request, if one still waits).
   * Asked before any request too: a late answer to the process before (its subscription kept in
   * the broker's session, or a store) comes to the same topic, and is dropped.
   */
  received(topic: string, payload: MqttPayload, properties: PublishProperties | undefined): boolean {
    if (topic !== this.#ownTopic()) return false
    const key = properties?.correlationData ? hex(properties.correlationData) : ''
    const waiting = this.#waiting.get(key)
    if (waiting) {
      this.#waiting.delete(key)
      clearTimeout(waiting.timer)
      waiting.resolve({ topic, payload, properties: properties ?? {} })
    }
    return true
  }

  /** Rejects every request still waiting (the client is closing); no timer is left. */
  closeAll(error: unknown): void {
    for (const { reject, timer } of this.#waiting.values()) {
      clearTimeout(timer)
      reject(error)
    }
    this.#waiting.clear()
  }

  /**
   * The response topic of this client, made at the first request: its client id's, so that a
   * process started again with the same id and a session kept by the broker finds its
   * subscription there, not one more left behind (a late answer to the process before finds no
   * request and is dropped); a random one for a client id the broker assigns.
   */
  #ownTopic(): string {
    // Asked at every MQTT 5 message: made once.
    return (this.#topic ??= `x-mqtt/responses/${this.#clientId ? encodeURIComponent(this.#clientId) : hex(crypto.getRandomValues(new Uint8Array(8)))}`)
  }
}
