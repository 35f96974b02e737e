import { encodePublish } from '@x/simple'
import type { PublishOp } from './outbox.js'
import { propertiesNow } from './sender.js'

/** The PUBLISH a restored message in flight goes again as, with its packet id (the session sets DUP). */
export type ResendEncoder = (op: PublishOp, pid: number) => Uint8Array

/**
 * After a restart, a message that was in flight goes again as a PUBLISH encoded anew for the
 * protocol this client speaks, not as the bytes that went out on the connection that died: MQTT 5
 * may have named the topic there by an alias, which lives as long as one connection
 * [MQTT-3.3.2-7] (resent, the broker refuses it as a protocol error, at every reconnection), and a
 * program upgraded from 3.1.1 to 5 or back reads the other encoding wrong (a 3.1.1 payload taken
 * for properties: malformed; MQTT 5 properties taken for payload: a corrupt message, delivered).
 * The MQTT 5 codec is loaded only by a client that speaks MQTT 5, as the simple client loads its own.
 */
export async function resendEncoder(mqtt5: boolean): Promise<ResendEncoder> {
  // The codec cuts small packets from a shared slab: each is copied out, for the session keeps it.
  if (!mqtt5)
    return ({ message: { topic, payload, qos, retain } }, pid) =>
      encodePublish({ type: 'publish', topic, payload, qos, retain, dup: false }, pid).slice()
  const { encodePublishV5 } = await import('@x/simple/codec')
  return (op, pid) => {
    const { topic, payload, qos, retain } = op.message
    // Its expiry counts from publish(), as a queued message's does. Run out (null), it still goes:
    // the broker may hold its packet id (QoS 2) and must see the exchange end; it lapses there at once.
    const now = propertiesNow(op)
    let properties = now === null ? { ...op.message.properties, messageExpiryInterval: 1 } : now
    // A Topic Alias the caller chose belonged to the connection that died; the name goes instead.
    if (properties?.topicAlias !== undefined && topic) {
      const { topicAlias: _, ...rest } = properties
      properties = rest
    }
    return encodePublishV5({ type: 'publish', topic, payload, qos, retain, dup: false, ...(properties && { properties }) }, pid).slice()
  }
}
