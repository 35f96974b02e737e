/**
 * The ways a broker can make a QoS 2 message reach the handler twice, or not at all, without the
 * client being at fault, watched on a client's wire so that a test can tell the broker's doing from
 * the client's:
 * - replayed: it sends the PUBLISH again under a packet id it had already released with PUBREL,
 *   which [MQTT-4.3.3-1] forbids; the client must then take it as new [MQTT-4.3.3-2].
 * - reused: it sends a new message under a packet id whose QoS 2 exchange it never finished (no
 *   PUBREL since that id's PUBLISH, on a session it said it kept), which [MQTT-2.3.1-2] forbids;
 *   the client must take it for the earlier message until PUBREL [MQTT-4.3.3-2], so it never
 *   reaches the handler. Seen with aedes over WebSocket through link cuts (about one run in 20).
 */
import { MqttClient, type ClientOptions } from '@x/simple'

export interface ReplayWatch {
  /** A `createClient` for RobustClient: the real client, with the packet observer installed. */
  createClient(options: ClientOptions): MqttClient
  /** Payloads (as text) the broker sent again after releasing them. */
  readonly replayed: ReadonlySet<string>
  /** Payloads (as text) the broker sent under a packet id still in an earlier message's QoS 2 exchange. */
  readonly reused: ReadonlySet<string>
  /** The client connected without a session (its 'connect' event said so): the ids it held are gone, and the broker may use them again. */
  sessionLost(): void
}

export function watchReplays(): ReplayWatch {
  const decoder = new TextDecoder()
  const released = new Map<number, string>()
  const carried = new Map<number, string>()
  const replayed = new Set<string>()
  const reused = new Set<string>()
  /** QoS 2 packet ids the broker sent a PUBLISH with and has not released yet, with that PUBLISH's payload. */
  const open = new Map<number, string>()
  return {
    replayed,
    reused,
    sessionLost: () => open.clear(),
    createClient: (options) => {
      // The packet observer is not part of robust's seam: the test may have it to itself.
      const client = new MqttClient(options)
      client.setCallbackPacket((p) => {
        if (p.type === 'publish' && p.pid !== undefined) {
          const text = decoder.decode(p.payload)
          if (released.get(p.pid) === text) replayed.add(text)
          carried.set(p.pid, text)
          if (p.qos === 2) {
            const before = open.get(p.pid)
            if (before === undefined) open.set(p.pid, text)
            else if (before !== text) reused.add(text)
          }
        } else if (p.type === 'pubrel') {
          const text = carried.get(p.pid)
          if (text !== undefined) released.set(p.pid, text)
          open.delete(p.pid)
        }
      })
      return client
    },
  }
}
