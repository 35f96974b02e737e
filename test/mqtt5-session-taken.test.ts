/**
 * A second connection with the same client id takes the session over. MQTT 5 lets the broker say
 * so with DISCONNECT 0x8E (Session taken over), which @x/simple reports as ESESSIONTAKEN with that
 * reasonCode; mosquitto 2.0.11 does not send it (src/handle_connect.c closes the old socket,
 * do_disconnect() without a DISCONNECT packet), so against it the first client learns of a closed
 * link: ECONCLOSE, no reason code. The proxy between them decodes every packet, so the test says
 * which of the two the wire carried. (The 0x8E path itself is a scripted broker's test.)
 */
import { describe, expect, test } from 'vitest'
import { isMqttError } from '@x/simple'
import { useMosquitto5 } from './support/mqtt5-clients.js'
import { rejection, uid } from './support/test-clients.js'

const fixture = useMosquitto5({ wire: true })

describe('session taken over on mosquitto 2.0.11 (MQTT 5)', () => {
  test("the first client's next waitMsg() throws ECONCLOSE (mosquitto sends no DISCONNECT 0x8E), not a silent end", async () => {
    const clientId = uid('taken')
    const first = fixture.pool.make({ clientId, server: fixture.wire.url })
    await first.client.connect()
    const second = fixture.pool.make({ clientId, server: fixture.mosquitto.urls.plain })
    await second.client.connect()
    const error = await rejection(
      (async () => {
        // Bounded: the close comes at once; a few rounds of waiting at most.
        for (let i = 0; i < 100; i++) await first.client.waitMsg(50)
      })(),
    )
    expect(isMqttError(error)).toBe(true)
    // The link spoke MQTT 5 (the proxy decodes it as such).
    expect(fixture.wire.errors).toEqual([])
    expect(fixture.wire.sent('connect').length).toBeGreaterThan(0)
    // What mosquitto 2.0.11 does: the socket closed, no DISCONNECT packet before it.
    expect(fixture.wire.received('disconnect')).toEqual([])
    expect(error.code).toBe('ECONCLOSE')
    expect((error as { reasonCode?: number }).reasonCode).toBeUndefined()
    expect(first.client.isConnected).toBe(false)
    expect(second.client.isConnected).toBe(true)
    expect(fixture.mosquitto.log()).toContain(`Client ${clientId} already connected, closing old connection.`)
  })
})
