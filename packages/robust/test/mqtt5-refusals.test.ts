/**
 * Contract §6, "@x/robust on MQTT 5": a PUBACK / PUBREC with "quota exceeded" (0x97) or "server
 * busy" (0x89) is not a delivery: the message is sent again after a backoff, never lost and never
 * reported delivered. Other codes ≥ 0x80 reject that publish() with EREJECTED (114) carrying the
 * code and reason string; a refused subscription rejects with ESUBACKFAIL (44) and its reason code.
 */
import { isMqttError } from '@x/simple'
import { describe, expect, test } from 'vitest'
import { accept, autoAnswer, broker5, nthEvent, publishesIn, robust5, script, text } from '@x/test-support/robust5-harness.js'
import { inspect, now, sleep, waitFor } from '@x/test-support/wait.js'

const BACKOFF_MS = 300

/** A client online on a broker whose first connection the test answers by hand. */
async function online() {
  const broker = await broker5(accept())
  const { client, events } = robust5({ server: broker.url, reconnect: { minDelayMs: BACKOFF_MS, maxDelayMs: BACKOFF_MS, jitter: false } })
  await client.connect()
  const conn = await broker.connection(0)
  return { broker, client, events, conn }
}

describe('quota exceeded and server busy: sent again after a backoff, resolved only on a real delivery', () => {
  test.each([
    ['PUBACK', 1, 0x97],
    ['PUBREC', 2, 0x97],
  ] as const)(
    '%s 0x97 (QoS %i): pending, sent again after a backoff as a new PUBLISH, resolved on the acceptance',
    async (ack, qos, reasonCode) => {
      const { broker, client, conn } = await online()
      const delivered = inspect(client.publish('quota/t', 'precious', { qos }))
      const first = await conn.next('publish')
      expect([first.topic, text(first.payload), first.qos]).toEqual(['quota/t', 'precious', qos])
      conn.send({
        type: ack === 'PUBACK' ? 'puback' : 'pubrec',
        pid: first.pid as number,
        reasonCode,
        properties: { reasonString: 'later' },
      })
      const refusedAt = now()
      // Not a delivery: still pending while the backoff runs.
      await sleep(50)
      expect(delivered().state).toBe('pending')
      // A refused PUBREC ends that exchange: no PUBREL for it (MQTT 5.0 §4.3.3).
      expect(conn.log.filter((p) => p.type === 'pubrel')).toEqual([])
      // Sent again, as a new PUBLISH, after a wait (on this link: the broker did not close it).
      const again = await conn.next('publish', 5000)
      const waited = now() - refusedAt
      expect(waited).toBeGreaterThanOrEqual(BACKOFF_MS / 3)
      expect([again.topic, text(again.payload), again.qos, again.dup]).toEqual(['quota/t', 'precious', qos, false])
      expect(delivered().state).toBe('pending')
      // Accepted this time: resolved, once, and never sent a third time.
      if (qos === 1) conn.send({ type: 'puback', pid: again.pid as number })
      else {
        conn.send({ type: 'pubrec', pid: again.pid as number })
        await waitFor(() => conn.log.some((p) => p.type === 'pubrel'), 'PUBREL')
        expect(conn.log.filter((p) => p.type === 'pubrel').map((p) => (p as { pid: number }).pid)).toEqual([again.pid])
        expect(delivered().state).toBe('pending')
        conn.send({ type: 'pubcomp', pid: again.pid as number })
      }
      await waitFor(() => delivered().state !== 'pending', 'publish() to settle after the acceptance')
      expect(delivered()).toEqual({ state: 'resolved', value: undefined })
      await sleep(BACKOFF_MS * 2)
      expect(publishesIn(conn).length).toBe(2)
      expect(broker.connections.length).toBe(1)
      expect([client.inFlight, client.queued]).toEqual([0, 0])
    },
  )

  test('refused again and again: sent each time after a backoff, never resolved until accepted', async () => {
    const { client, conn } = await online()
    const delivered = inspect(client.publish('quota/t', 'stubborn', { qos: 1 }))
    for (let round = 0; round < 3; round++) {
      const p = await conn.next('publish', 5000)
      expect(text(p.payload)).toBe('stubborn')
      conn.send({ type: 'puback', pid: p.pid as number, reasonCode: 0x97 })
      await sleep(20)
      expect(delivered().state).toBe('pending')
    }
    const last = await conn.next('publish', 5000)
    conn.send({ type: 'puback', pid: last.pid as number })
    await waitFor(() => delivered().state === 'resolved', 'publish() resolved')
  })

  // 0x89 is not a reason code a PUBACK or PUBREC may carry (MQTT 5.0 §3.4.2.1, §3.5.2.1): the simple
  // client closes the link as a protocol error (contract §6). Whatever the path, the message is
  // not delivered and must not be reported so: it goes again on the next link.
  test.each([
    ['PUBACK', 1, 0x40],
    ['PUBREC', 2, 0x50],
  ] as const)(
    '%s 0x89 server busy (QoS %i): not a delivery; sent again, on the next link, resolved only on the acceptance',
    async (_ack, qos, type) => {
      const broker = await broker5(accept(), accept())
      const { client } = robust5({ server: broker.url, reconnect: { minDelayMs: BACKOFF_MS, maxDelayMs: BACKOFF_MS, jitter: false } })
      await client.connect()
      const conn = await broker.connection(0)
      const delivered = inspect(client.publish('busy/t', 'precious', { qos }))
      const first = await conn.next('publish')
      const pid = first.pid as number
      conn.send([type, 0x03, pid >> 8, pid & 0xff, 0x89])
      await sleep(50)
      expect(delivered().state).toBe('pending')
      const next = await broker.connection(1, 5000)
      autoAnswer(next)
      await waitFor(() => delivered().state !== 'pending', 'publish() to settle on the next link', 5000)
      expect(delivered()).toEqual({ state: 'resolved', value: undefined })
      expect(publishesIn(next).map((p) => [p.topic, text(p.payload), p.qos])).toEqual([['busy/t', 'precious', qos]])
      expect(publishesIn(conn).length).toBe(1)
    },
  )

  test('a message refused with 0x97 keeps its place: those published after it are not reported before their own PUBACK', async () => {
    const { client, conn } = await online()
    const a = inspect(client.publish('quota/t', 'a', { qos: 1 }))
    const b = inspect(client.publish('quota/t', 'b', { qos: 1 }))
    const pa = await conn.next('publish')
    const pb = await conn.next('publish')
    conn.send({ type: 'puback', pid: pa.pid as number, reasonCode: 0x97 })
    conn.send({ type: 'puback', pid: pb.pid as number })
    await waitFor(() => b().state === 'resolved', 'b delivered')
    expect(a().state).toBe('pending')
    const again = await conn.next('publish', 5000)
    expect(text(again.payload)).toBe('a')
    conn.send({ type: 'puback', pid: again.pid as number })
    await waitFor(() => a().state === 'resolved', 'a delivered on its second try')
  })
})

describe('other refusals end the publish() or subscribe() with the reason', () => {
  test.each([
    ['PUBACK', '0x87', 1, 0x87],
    ['PUBACK', '0x99', 1, 0x99],
    ['PUBREC', '0x87', 2, 0x87],
    ['PUBREC', '0x80', 2, 0x80],
  ] as const)(
    '%s %s (QoS %i): publish() rejects with EREJECTED (114), reasonCode and reasonString; not sent again',
    async (ack, _hex, qos, reasonCode) => {
      const { broker, client, conn } = await online()
      const delivered = inspect(client.publish('refused/t', 'no', { qos }))
      const p = await conn.next('publish')
      conn.send({
        type: ack === 'PUBACK' ? 'puback' : 'pubrec',
        pid: p.pid as number,
        reasonCode,
        properties: { reasonString: 'not for you' },
      })
      await waitFor(() => delivered().state !== 'pending', 'publish() to settle')
      const outcome = delivered()
      expect(outcome.state).toBe('rejected')
      const error = outcome.state === 'rejected' ? outcome.error : undefined
      expect(isMqttError(error)).toBe(true)
      expect(error).toMatchObject({ code: 'EREJECTED', errno: 114, reasonCode, reasonString: 'not for you' })
      await sleep(BACKOFF_MS * 2)
      expect(publishesIn(conn).length).toBe(1)
      expect(conn.log.filter((x) => x.type === 'pubrel')).toEqual([])
      expect(broker.connections.length).toBe(1)
      expect([client.inFlight, client.queued, client.isConnected]).toEqual([0, 0, true])
    },
  )

  test('SUBACK 0x87: subscribe() rejects with ESUBACKFAIL (44) and reasonCode 0x87; the filter is not subscribed again after a reconnect', async () => {
    const broker = await broker5()
    script(broker, accept(), async (conn) => {
      await accept()(conn)
      autoAnswer(conn)
    })
    const { client, events } = robust5({ server: broker.url })
    await client.connect()
    const conn = await broker.connection(0)
    const granted = inspect(client.subscribe('secret/#', { qos: 1 }))
    const kept = inspect(client.subscribe('open/#', { qos: 1 }))
    const s1 = await conn.next('subscribe')
    const s2 = await conn.next('subscribe')
    conn.send({ type: 'suback', pid: s1.pid, reasonCodes: [0x87], properties: { reasonString: 'no' } })
    conn.send({ type: 'suback', pid: s2.pid, reasonCodes: [1] })
    await waitFor(() => granted().state !== 'pending' && kept().state !== 'pending', 'both subscribe() calls to settle')
    const outcome = granted()
    expect(outcome.state).toBe('rejected')
    expect(outcome.state === 'rejected' && outcome.error).toMatchObject({ code: 'ESUBACKFAIL', errno: 44, reasonCode: 0x87 })
    expect(kept()).toEqual({ state: 'resolved', value: 1 })
    conn.destroy()
    await nthEvent(events, 'connect', 2)
    const second = await broker.connection(1)
    await waitFor(() => second.log.some((p) => p.type === 'subscribe'), 'the resubscription')
    await sleep(100)
    const filters = second.log.flatMap((p) => (p.type === 'subscribe' ? p.subscriptions.map((s) => s.filter) : []))
    expect(filters).toEqual(['open/#'])
  })
})

test('PUBCOMP "Packet Identifier not found" (0x92) after an accepted PUBREC: delivered (the broker took the message at PUBREC and had released the id), not refused', async () => {
  const { client, events, conn } = await online()
  const delivered = inspect(client.publish('q2/t', 'once', { qos: 2 }))
  const p = await conn.next('publish', 5000)
  conn.send({ type: 'pubrec', pid: p.pid as number })
  await conn.next('pubrel', 5000)
  conn.send({ type: 'pubcomp', pid: p.pid as number, reasonCode: 0x92 })
  await waitFor(() => delivered().state !== 'pending', 'publish() to settle')
  expect(delivered()).toEqual({ state: 'resolved', value: undefined })
  expect(events.filter((e) => e.name === 'drop' || e.name === 'error')).toEqual([])
})

test('a renewal the next broker cannot take (no session, no wildcard subscriptions in its CONNACK): not sent, and reported as an error, as a refused renewal is', async () => {
  const broker = await broker5(accept(), accept({ properties: { wildcardSubscriptionAvailable: false } }))
  const { client, events } = robust5({ server: broker.url, reconnect: { minDelayMs: 20, maxDelayMs: 20, jitter: false } })
  await client.connect()
  const first = await broker.connection(0)
  const subscribing = client.subscribe('alerts/#', { qos: 1 })
  first.send({ type: 'suback', pid: (await first.next('subscribe')).pid, reasonCodes: [1] })
  await subscribing
  first.destroy()
  const second = await broker.connection(1, 5000)
  await waitFor(() => events.some((e) => e.name === 'error'), "the renewal's error")
  const [error] = events.find((e) => e.name === 'error')?.args ?? []
  expect(isMqttError(error) && error.code).toBe('ENOTSUPPORTED')
  expect(String((error as Error).message)).toMatch(/alerts\/#/)
  expect(second.log.filter((p) => p.type === 'subscribe')).toEqual([])
})
