import { decodeAck } from './ack.js'
import { decodeConnack } from './connack.js'
import type { Direction } from './decoder.js'
import { decodeEmpty } from './empty.js'
import type { ServerPacket } from './packet.js'
import { decodePublish, decodeSkippedPublish } from './publish.js'
import { decodeSuback } from './suback.js'

/**
 * What a client receives: every other type is refused before its body is read. A PUBLISH over
 * the size limit is skipped and reported, not refused: it is one message, not a broken link.
 */
export const fromServer: Direction<ServerPacket> = {
  sender: 'broker',
  skipped: decodeSkippedPublish,
  decoders: {
    2: decodeConnack,
    3: decodePublish,
    4: decodeAck('puback'),
    5: decodeAck('pubrec'),
    6: decodeAck('pubrel'),
    7: decodeAck('pubcomp'),
    9: decodeSuback,
    11: decodeAck('unsuback'),
    13: decodeEmpty('pingresp'),
  },
}
