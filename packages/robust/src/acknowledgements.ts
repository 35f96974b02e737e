import { MqttError, SLOST, SREFUSED, SUNKNOWNPID, type QoS } from '@x/simple'
import type { Outbox } from './outbox.js'
import type { Subscriptions } from './subscriptions.js'

/**
 * A status from the simple client (connected to `server`) settles the operation waiting for it: delivered, refused
 * (ESUBACKFAIL), or lost with a session the broker did not keep (back to the queue). Returns the
 * refusal of a renewal, which no caller waits for, so that it can be reported as 'error'.
 */
export function acknowledge(
  outbox: Outbox,
  subscriptions: Subscriptions,
  server: string,
  pid: number,
  status: number,
  granted: number | undefined,
): MqttError | undefined {
  if (status === SUNKNOWNPID) return undefined
  const op = outbox.acknowledged(pid)
  if (!op) return undefined
  if (status === SLOST) outbox.putBack(op)
  else if (op.kind === 'publish') outbox.settle(op)
  else if (op.kind === 'unsubscribe') {
    subscriptions.dropped(server, op.filter)
    outbox.settle(op)
  } else if (status !== SREFUSED) {
    subscriptions.granted(server, op.filter, op.qos, op.seq)
    outbox.settle(op, undefined, granted as QoS)
  } else {
    subscriptions.refused(server, op.filter, op.renewal)
    const error = new MqttError('ESUBACKFAIL', `The broker refused the subscription to "${op.filter}" (SUBACK 0x80)`, {
      topic: op.filter,
      pid,
    })
    outbox.settle(op, error)
    if (op.renewal) return error
  }
  return undefined
}
