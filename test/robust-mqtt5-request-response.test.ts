/**
 * request() / respond() of @x/robust on MQTT 5.0 between two RobustClients through mosquitto on
 * its defaults (issue 22): 1,000 requests, both clients behind the fault proxy, and the link cut
 * in the middle. Every request must settle exactly once, with its own answer (the responder
 * echoes the request's payload, so a crossed correlation would show) or with ETIMEOUT; never the
 * wrong answer, never another error.
 */
import { describe, expect, test } from 'vitest'
import { RobustClient } from '@x/robust'
import type { FaultProxy } from './support/fault-proxy.js'
import { flakyLinkOptions5, useMosquittoBehindProxy } from './support/robust5-clients.js'
import { uid } from './support/test-clients.js'
import { sleep, withDeadline } from './support/wait.js'

const REQUESTS = 1000
const TIMEOUT_MS = 8000

let proxy: FaultProxy
useMosquittoBehindProxy((_, p) => {
  proxy = p
})

type Outcome = { kind: 'answer'; text: string; correlated: boolean } | { kind: 'error'; code: string; message: string }

describe('mosquitto 2.0.11, defaults, MQTT 5: request/response through a cut', () => {
  test(`${REQUESTS} requests, the link cut in the middle: each settles once, with its own answer or ETIMEOUT`, async () => {
    const service = uid('rr5/service')
    const decoder = new TextDecoder()
    const responder = new RobustClient(flakyLinkOptions5(uid('rr5-responder'), proxy.url))
    const requester = new RobustClient(flakyLinkOptions5(uid('rr5-requester'), proxy.url))
    let seen = 0
    const answering: Array<Promise<void>> = []
    responder.on('message', (_topic, payload, info) => {
      seen++
      answering.push(responder.respond(info, `answer to ${decoder.decode(payload)}`).catch(() => {}))
    })
    const settled = new Map<number, Outcome[]>()
    const requests: Array<Promise<void>> = []
    let disconnects = 0
    const errors: unknown[] = []
    requester.on('error', (error) => errors.push(error))
    responder.on('error', (error) => errors.push(error))
    requester.on('disconnect', () => disconnects++)
    responder.on('disconnect', () => disconnects++)
    try {
      await responder.connect()
      await responder.subscribe(service, { qos: 1 })
      await requester.connect()
      for (let i = 0; i < REQUESTS; i++) {
        const record = (o: Outcome): void => void settled.set(i, [...(settled.get(i) ?? []), o])
        requests.push(
          requester.request(service, `request ${i}`, { qos: 1, timeoutMs: TIMEOUT_MS }).then(
            (reply) =>
              record({
                kind: 'answer',
                text: decoder.decode(reply.payload),
                correlated: reply.properties?.correlationData instanceof Uint8Array,
              }),
            (error: { code?: string; message?: string }) =>
              record({ kind: 'error', code: String(error.code), message: String(error.message) }),
          ),
        )
        if (i === REQUESTS / 2) proxy.cut()
        if (i % 50 === 49) await sleep(20)
      }
      await withDeadline(Promise.all(requests), TIMEOUT_MS + 20_000, `${REQUESTS} requests to settle`).catch(() => {})
      await sleep(500) // a late or repeated answer, after its request settled, must raise no 'error'

      const outcomes = [...Array(REQUESTS).keys()].map((i) => settled.get(i) ?? [])
      const unsettled = outcomes.filter((o) => o.length === 0).length
      const answered = outcomes.filter((o, i) => o[0]?.kind === 'answer' && o[0].text === `answer to request ${i}`).length
      const wrong = outcomes
        .map((o, i) => ({ i, o: o[0] }))
        .filter(({ i, o }) => o?.kind === 'answer' && o.text !== `answer to request ${i}`)
      const timedOut = outcomes.filter((o) => o[0]?.kind === 'error' && o[0].code === 'ETIMEOUT').length
      const otherErrors = outcomes.map((o) => o[0]).filter((o) => o?.kind === 'error' && o.code !== 'ETIMEOUT')
      const uncorrelated = outcomes.filter((o) => o[0]?.kind === 'answer' && !o[0].correlated).length
      console.log(
        `request/response through a cut: ${REQUESTS} requests, ${disconnects} disconnects seen, the responder saw ${seen}; ` +
          `${answered} answered, ${timedOut} ETIMEOUT, ${wrong.length} wrong answers, ${otherErrors.length} other errors, ${unsettled} unsettled`,
      )
      expect(disconnects, 'the cut was noticed').toBeGreaterThanOrEqual(1)
      expect(unsettled, 'requests never settled').toBe(0)
      expect(errors, "'error' events (a late or repeated answer is no error)").toEqual([])
      expect(wrong, 'requests answered with another request’s answer').toEqual([])
      expect(otherErrors, 'requests rejected otherwise than ETIMEOUT').toEqual([])
      expect(uncorrelated, 'answers without their Correlation Data').toBe(0)
      expect(answered + timedOut).toBe(REQUESTS)
      expect(answered, 'most requests answered (the cut is short)').toBeGreaterThan(REQUESTS / 2)
    } finally {
      await requester.close()
      await responder.close()
      await Promise.allSettled([...requests, ...answering])
    }
  }, 60_000)
})
