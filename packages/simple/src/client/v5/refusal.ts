import { MqttError, type ErrorCode } from '@x/errno'
import type { ConnackPacketV5, DisconnectPacketV5 } from '../../codec/v5/packet.js'
import { reasonName } from '../../codec/v5/reason-names.js'

// CONNACK reason codes with a meaning of their own: simple2's numbers where it had the same one (MQTT 5.0 §3.2.2.2).
const CONNACK: Record<number, ErrorCode> = {
  0x84: 'ECONPROTOCOL',
  0x85: 'ECONREJECT',
  0x86: 'ECONCREDENTIALS',
  0x87: 'ECONAUTH',
  0x88: 'ECONUNAVAILABLE',
  0x89: 'ESERVERBUSY',
  0x8a: 'EBANNED',
  0x8c: 'EBADAUTHMETHOD',
  0x97: 'EQUOTA',
  0x9c: 'EUSESERVER',
  0x9d: 'ESERVERMOVED',
  0x9f: 'ERATELIMIT',
}

// DISCONNECT reason codes a client acts on differently (MQTT 5.0 §3.14.2.1); the rest are EDISCONNECT.
const DISCONNECT: Record<number, ErrorCode> = {
  0x89: 'ESERVERBUSY',
  0x8b: 'ESHUTDOWN',
  0x8e: 'ESESSIONTAKEN',
  0x96: 'ERATELIMIT',
  0x97: 'EQUOTA',
  0x9c: 'EUSESERVER',
  0x9d: 'ESERVERMOVED',
  0x9f: 'ERATELIMIT',
}

/** What the broker said, as an MqttError carrying its reason code, Reason String and Server Reference. */
function brokerSaid(code: ErrorCode, did: string, p: ConnackPacketV5 | DisconnectPacketV5, operation?: string): MqttError {
  const reasonCode = p.reasonCode ?? 0
  const { reasonString, serverReference } = p.properties ?? {}
  const said = reasonString === undefined ? '' : `: "${reasonString}"`
  const elsewhere = serverReference === undefined ? '' : `; it names ${serverReference} instead`
  return new MqttError(code, `${did}: ${reasonName(reasonCode)}${said}${elsewhere}`, {
    reasonCode,
    ...(operation ? { operation, returnCode: reasonCode } : {}),
    ...(reasonString === undefined ? {} : { reasonString }),
    ...(serverReference === undefined ? {} : { serverReference }),
  })
}

/** A CONNACK that refuses (reason code ≥ 0x80), as the error `connect()` rejects with. */
export const connackRefusal = (p: ConnackPacketV5, where: string): MqttError =>
  brokerSaid(CONNACK[p.reasonCode] ?? 'EREFUSED', `${where} refused the connection`, p, 'connect')

/** A DISCONNECT from the broker, as the error the next `checkMsg()` throws. */
export const disconnected = (p: DisconnectPacketV5, where: string): MqttError =>
  brokerSaid(DISCONNECT[p.reasonCode ?? 0] ?? 'EDISCONNECT', `${where} closed the connection with DISCONNECT`, p)
