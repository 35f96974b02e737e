/**
 * The one way a broker can make a QoS 2 message reach the handler twice without the client being
 * at fault: it sends the PUBLISH again under a packet id it had already released with PUBREL,
 * which [MQTT-4.3.3-1] forbids; the client must then take it as new [MQTT-4.3.3-2]. This watches
 * a client's wire for exactly that, so a test can tell the broker's repeats from the client's.
 */
import { MqttClient, type ClientOptions } from '@x/simple'

export interface ReplayWatch {
  /** A `createClient` for RobustClient: the real client, with the packet observer installed. */
  createClient(options: ClientOptions): MqttClient
  /** Payloads (as text) the broker sent again after releasing them. */
  readonly replayed: ReadonlySet<string>
}

export function watchReplays(): ReplayWatch {
  const decoder = new TextDecoder()
  const released = new Map<number, string>()
  const carried = new Map<number, string>()
  const replayed = new Set<string>()
  return {
    replayed,
    createClient: (options) => {
      // The packet observer is not part of robust's seam: the test may have it to itself.
      const client = new MqttClient(options)
      client.setCallbackPacket((p) => {
        if (p.type === 'publish' && p.pid !== undefined) {
          const text = decoder.decode(p.payload)
          if (released.get(p.pid) === text) replayed.add(text)
          carried.set(p.pid, text)
        } else if (p.type === 'pubrel') {
          const text = carried.get(p.pid)
          if (text !== undefined) released.set(p.pid, text)
        }
      })
      return client
    },
  }
}
