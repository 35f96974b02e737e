import { isMqttError, type QoS } from '@x/simple'
import { describe, expect, test } from 'vitest'
import { type ScriptedBroker, type Wire } from './support/scripted-broker.js'
import { waitFor, flush, inspect, withDeadline } from '@x/test-support/wait.js'
import { argsOf, names, robust } from './support/harness.js'

/** What connection `link` carried, in order, as short strings: 'sub a/# 1', 'unsub a', 'pub m1'. */
function onLink(broker: ScriptedBroker, link: number): string[] {
  return broker.wire
    .filter((w) => w.link === link)
    .flatMap((w: Wire) =>
      w.type === 'subscribe'
        ? [`sub ${w.filter} ${w.qos}`]
        : w.type === 'unsubscribe'
          ? [`unsub ${w.filter}`]
          : w.type === 'publish'
            ? [`pub ${w.payload}`]
            : [],
    )
}

/** Cuts the link and waits until the client is back on connection `link` (the broker answers `sessionPresent`). */
async function outage(client: { isConnected: boolean }, broker: ScriptedBroker, sessionPresent: boolean): Promise<number> {
  const link = broker.connections + 1
  broker.script({ sessionPresent })
  broker.drop()
  await waitFor(() => broker.connections === link && client.isConnected, `reconnect number ${link - 1}`)
  await flush()
  return link
}

describe('subscribe', () => {
  test('resolves the QoS the broker granted (SUBACK, seen through the packet callback)', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    broker.grant = (filter, qos) => (filter === 'down/#' ? 1 : qos)
    await client.connect()
    expect(await client.subscribe('down/#', { qos: 2 })).toBe(1)
    expect(await client.subscribe('a/+', { qos: 1 })).toBe(1)
    expect(await client.subscribe('b')).toBe(0)
    expect(onLink(broker, 1)).toEqual(['sub down/# 2', 'sub a/+ 1', 'sub b 0'])
  })

  test('a refused subscription (SUBACK 0x80) rejects with errno 44 and is not remembered', async () => {
    const { client, broker, events } = robust()
    broker.autoAck = true
    broker.grant = (filter, qos) => (filter.startsWith('secret/') ? 0x80 : qos)
    await client.connect()
    const error = await client.subscribe('secret/#', { qos: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isMqttError(error) && [error.errno, error.code, error.topic]).toEqual([44, 'ESUBACKFAIL', 'secret/#'])
    expect(await client.subscribe('open/#', { qos: 1 })).toBe(1)
    const link = await outage(client, broker, false)
    expect(onLink(broker, link)).toEqual(['sub open/# 1'])
    expect(argsOf(events, 'error')).toEqual([])
  })

  test('a filter granted once and refused when subscribed again is forgotten', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    await client.connect()
    expect(await client.subscribe('x/#', { qos: 1 })).toBe(1)
    broker.grant = () => 0x80
    await expect(client.subscribe('x/#', { qos: 2 })).rejects.toMatchObject({ errno: 44 })
    broker.grant = (_f, qos) => qos
    const link = await outage(client, broker, false)
    expect(onLink(broker, link)).toEqual([])
  })

  test('while offline waits for the connection', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    const granted = inspect(client.subscribe('early/#', { qos: 2 }))
    await flush()
    expect([granted().state, broker.wire.length]).toEqual(['pending', 0])
    await client.connect()
    await waitFor(() => granted().state !== 'pending', 'the subscription')
    expect(granted()).toEqual({ state: 'resolved', value: 2 })
    expect(onLink(broker, 1)).toEqual(['sub early/# 2'])
  })

  test('invalid filters reject at once (EFILTER, EQOS), nothing is sent', async () => {
    const { client, broker } = robust()
    await client.connect()
    await expect(client.subscribe('a/#/b')).rejects.toMatchObject({ code: 'EFILTER' })
    await expect(client.subscribe('a', { qos: 5 as QoS })).rejects.toMatchObject({ code: 'EQOS' })
    await expect(client.unsubscribe('a+')).rejects.toMatchObject({ code: 'EFILTER' })
    await flush()
    expect(broker.wire).toEqual([])
  })
})

describe('the resubscribe plan after a reconnect', () => {
  test('no session: every remembered filter is subscribed again (same QoS), before the queued messages', async () => {
    const { client, broker, events } = robust()
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a/#', { qos: 1 })
    await client.subscribe('b/+', { qos: 2 })
    broker.script('hold')
    broker.drop()
    await waitFor(() => broker.connectPending, 'the reconnect attempt')
    const queued = [client.publish('t', 'm1', { qos: 1 }), client.publish('t', 'm2')]
    broker.answerConnect({ sessionPresent: false })
    await withDeadline(Promise.all(queued), 1000, 'the queued messages')
    expect(onLink(broker, 2)).toEqual(['sub a/# 1', 'sub b/+ 2', 'pub m1', 'pub m2'])
    expect(names(events)).toEqual(['connect', 'disconnect', 'reconnecting', 'connect'])
  })

  test('session present: nothing is subscribed again', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a/#', { qos: 1 })
    const link = await outage(client, broker, true)
    await withDeadline(client.publish('t', 'after'), 1000, 'a publish')
    expect(onLink(broker, link)).toEqual(['pub after'])
  })

  test('every outage without session renews the filters again', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a', { qos: 1 })
    for (const sessionPresent of [false, true, false, false]) {
      const link = await outage(client, broker, sessionPresent)
      await waitFor(() => broker.pending.length === 0, 'the SUBACKs')
      expect(onLink(broker, link)).toEqual(sessionPresent ? [] : ['sub a 1'])
    }
  })

  test('resubscribe: false renews nothing', async () => {
    const { client, broker } = robust({ resubscribe: false })
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a/#', { qos: 1 })
    const link = await outage(client, broker, false)
    expect(onLink(broker, link)).toEqual([])
  })

  test('unsubscribe forgets the filter', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a/#', { qos: 1 })
    await client.subscribe('b/#')
    await withDeadline(client.unsubscribe('a/#'), 1000, 'the unsubscribe')
    expect(onLink(broker, 1)).toEqual(['sub a/# 1', 'sub b/# 0', 'unsub a/#'])
    const link = await outage(client, broker, false)
    expect(onLink(broker, link)).toEqual(['sub b/# 0'])
  })

  test('unsubscribe called before the SUBACK of the same filter still forgets it', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    await client.connect()
    const subscribed = client.subscribe('a/#', { qos: 1 })
    const unsubscribed = client.unsubscribe('a/#')
    await withDeadline(Promise.all([subscribed, unsubscribed]), 1000, 'SUBACK then UNSUBACK')
    expect(onLink(broker, 1)).toEqual(['sub a/# 1', 'unsub a/#'])
    const link = await outage(client, broker, false)
    expect(onLink(broker, link)).toEqual([])
  })

  test('a subscription made while offline is sent once, not also renewed; new ones follow', async () => {
    const { client, broker } = robust()
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a', { qos: 1 })
    await client.subscribe('keep', { qos: 1 })
    broker.script('hold')
    broker.drop()
    await waitFor(() => broker.connectPending, 'the reconnect attempt')
    const again = client.subscribe('a', { qos: 2 })
    const fresh = client.subscribe('c')
    broker.answerConnect({ sessionPresent: false })
    expect(await withDeadline(again, 1000, 'a again')).toBe(2)
    expect(await withDeadline(fresh, 1000, 'c')).toBe(0)
    expect(onLink(broker, 2)).toEqual(['sub keep 1', 'sub a 2', 'sub c 0'])
    const link = await outage(client, broker, false)
    expect(onLink(broker, link).sort()).toEqual(['sub a 2', 'sub c 0', 'sub keep 1'])
  })

  test('no session: a subscription whose SUBACK was lost is sent again and its promise resolves', async () => {
    const { client, broker } = robust()
    await client.connect()
    const granted = inspect(client.subscribe('lost/#', { qos: 1 }))
    await waitFor(() => broker.pending.length === 1, 'the SUBSCRIBE in flight')
    broker.autoAck = true
    const link = await outage(client, broker, false)
    await waitFor(() => granted().state !== 'pending', 'the subscription')
    expect(granted()).toEqual({ state: 'resolved', value: 1 })
    expect(onLink(broker, link)).toEqual(['sub lost/# 1'])
    const next = await outage(client, broker, false)
    expect(onLink(broker, next)).toEqual(['sub lost/# 1'])
  })

  test('session present: a subscription in flight is resent by the simple client and resolves on its SUBACK', async () => {
    const { client, broker } = robust()
    await client.connect()
    const granted = inspect(client.subscribe('kept/#', { qos: 2 }))
    await waitFor(() => broker.pending.length === 1, 'the SUBSCRIBE in flight')
    const link = await outage(client, broker, true)
    expect(broker.wire.filter((w) => w.link === link)).toMatchObject([{ type: 'subscribe', filter: 'kept/#', pid: 1, resent: true }])
    broker.ack(1)
    await waitFor(() => granted().state !== 'pending', 'the subscription')
    expect(granted()).toEqual({ state: 'resolved', value: 2 })
  })

  test("a renewal the broker refuses is reported as 'error' (44) and the filter is forgotten", async () => {
    const { client, broker, events } = robust()
    broker.autoAck = true
    await client.connect()
    await client.subscribe('a', { qos: 1 })
    await client.subscribe('b', { qos: 1 })
    broker.grant = (filter, qos) => (filter === 'a' ? 0x80 : qos)
    const link = await outage(client, broker, false)
    await waitFor(() => argsOf(events, 'error').length === 1, "the 'error' event")
    const [error] = argsOf(events, 'error')[0] ?? []
    expect(isMqttError(error) && [error.errno, error.topic]).toEqual([44, 'a'])
    expect(onLink(broker, link)).toEqual(['sub a 1', 'sub b 1'])
    const next = await outage(client, broker, false)
    expect(onLink(broker, next)).toEqual(['sub b 1'])
  })
})
