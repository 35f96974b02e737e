import { decodeAck } from './ack.js'
import { decodeConnect } from './connect.js'
import type { Direction } from './decoder.js'
import { decodeEmpty } from './empty.js'
import type { ClientPacket } from './packet.js'
import { decodePublish } from './publish.js'
import { decodeSubscribe } from './subscribe.js'
import { decodeUnsubscribe } from './unsubscribe.js'

/** What a broker receives; for tests and tools that play the broker's side. */
export const fromClient: Direction<ClientPacket> = {
  sender: 'client',
  decoders: {
    1: decodeConnect,
    3: decodePublish,
    4: decodeAck('puback'),
    5: decodeAck('pubrec'),
    6: decodeAck('pubrel'),
    7: decodeAck('pubcomp'),
    8: decodeSubscribe,
    10: decodeUnsubscribe,
    12: decodeEmpty('pingreq'),
    14: decodeEmpty('disconnect'),
  },
}
