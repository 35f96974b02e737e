/**
 * Subscriptions across a restart with a store (contract §7: "the remembered subscriptions",
 * renewed where the broker has no session), against a scripted broker for the exact packets:
 * - an unsubscribe whose UNSUBACK had not come when the process died is still owed: a broker that
 *   kept the session (and so maybe the subscription) is told UNSUBSCRIBE after the restart, and
 *   the store forgets the filter once it answers; one that kept no session holds nothing to drop;
 * - an unsubscribe that follows a subscribe before its SUBACK wins, as it does in memory;
 * - the QoS remembered is the one asked for, not the one a broker granted: a broker that kept no
 *   session is asked for what the call asked.
 */
import { expect, test } from 'vitest'
import { MemoryStore } from '@x/robust'
import type { FakeConnection } from './support/fake-broker.js'
import { storedOnce, storedState } from './support/durable-log.js'
import { scriptedRestarts } from './support/durable-scripted.js'
import { rejection } from './support/test-clients.js'

const { client, firstRun } = scriptedRestarts()

/**
 * A first run subscribed to 'alerts/#' (granted), then unsubscribed; the broker got UNSUBSCRIBE,
 * and the process "died" before its UNSUBACK. Then a second run on the store, against a broker
 * that kept the session, or none from `forgetsAt` on: its store, and its connection to the broker.
 */
async function unsubscribedThenRestarted(forgetsAt = Infinity): Promise<{ store: MemoryStore; again: FakeConnection }> {
  const { b, store, id, first, conn } = await firstRun('durable-unsub', forgetsAt)
  const filter = 'alerts/#'
  const subscribing = first.subscribe(filter, { qos: 1 })
  conn.send({ type: 'suback', pid: (await conn.next('subscribe')).pid, returnCodes: [1] })
  await subscribing
  const unsubscribing = rejection(first.unsubscribe(filter))
  expect((await conn.next('unsubscribe')).filters).toEqual([filter])
  await first.close()
  expect((await unsubscribing).code).toBe('ECLOSED')
  expect(await storedState(store)).toMatchObject({ subscriptions: [], unsubscribing: [filter] })
  await client(id, b.url, store).connect()
  return { store, again: (await b.connection(1)) as FakeConnection }
}

test('an unsubscribe without its UNSUBACK when the process died is sent again after the restart to a broker that kept the session; the store forgets it at UNSUBACK', async () => {
  const { store, again } = await unsubscribedThenRestarted()
  const unsubscribe = await again.next('unsubscribe')
  expect(unsubscribe.filters).toEqual(['alerts/#'])
  again.send({ type: 'unsuback', pid: unsubscribe.pid })
  const state = await storedOnce(store, ({ unsubscribing }) => !unsubscribing.length, 'the filter forgotten once UNSUBACK came')
  expect(state.subscriptions).toEqual([])
})

test('an unsubscribe without its UNSUBACK, restarted against a broker that kept no session: nothing to drop there, nothing sent, and the store forgets it', async () => {
  const { store, again } = await unsubscribedThenRestarted(1)
  await expect(again.next('unsubscribe', 300)).rejects.toThrow()
  await storedOnce(store, ({ unsubscribing }) => !unsubscribing.length, 'the filter forgotten with the session')
})

test('subscribe, then unsubscribe before the SUBACK: the store ends with neither, as the client in memory does', async () => {
  const { store, first, conn } = await firstRun('durable-sub-unsub')
  const subscribing = first.subscribe('a/b', { qos: 1 })
  const unsubscribing = first.unsubscribe('a/b')
  const subscribe = await conn.next('subscribe')
  const unsubscribe = await conn.next('unsubscribe')
  conn.send({ type: 'suback', pid: subscribe.pid, returnCodes: [1] })
  conn.send({ type: 'unsuback', pid: unsubscribe.pid })
  await subscribing
  await unsubscribing
  await first.close()
  expect(await storedState(store)).toMatchObject({ subscriptions: [], unsubscribing: [] })
})

test('the QoS remembered is the one subscribe() asked for: a broker that kept no session is asked for it again, not for what another granted', async () => {
  const { b, store, id, first, conn } = await firstRun('durable-sub-qos', 1)
  const subscribing = first.subscribe('a/b', { qos: 2 })
  conn.send({ type: 'suback', pid: (await conn.next('subscribe')).pid, returnCodes: [1] })
  expect(await subscribing).toBe(1)
  await first.close()
  expect((await storedState(store)).subscriptions).toEqual([{ filter: 'a/b', qos: 2 }])

  const second = client(id, b.url, store)
  await second.connect()
  const renewal = await ((await b.connection(1)) as FakeConnection).next('subscribe')
  expect(renewal.subscriptions).toEqual([{ filter: 'a/b', qos: 2 }])
})
