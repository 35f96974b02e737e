/**
 * MQTT 5.0 §2.2.2.2's table, written out by hand from the standard (identifier, name, type,
 * where it may appear), to check the codec's one table against and to build the fixtures from.
 */
import type { Properties, PropertyPacket } from '@x/simple/codec'

const ACKS = ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const

export const SPEC: ReadonlyArray<[id: number, name: keyof Properties, type: string, where: readonly PropertyPacket[]]> = [
  [1, 'payloadFormatIndicator', 'byte', ['publish', 'will']],
  [2, 'messageExpiryInterval', 'four byte integer', ['publish', 'will']],
  [3, 'contentType', 'utf-8 string', ['publish', 'will']],
  [8, 'responseTopic', 'utf-8 string', ['publish', 'will']],
  [9, 'correlationData', 'binary data', ['publish', 'will']],
  [11, 'subscriptionIdentifier', 'variable byte integer', ['publish', 'subscribe']],
  [17, 'sessionExpiryInterval', 'four byte integer', ['connect', 'connack', 'disconnect']],
  [18, 'assignedClientIdentifier', 'utf-8 string', ['connack']],
  [19, 'serverKeepAlive', 'two byte integer', ['connack']],
  [21, 'authenticationMethod', 'utf-8 string', ['connect', 'connack', 'auth']],
  [22, 'authenticationData', 'binary data', ['connect', 'connack', 'auth']],
  [23, 'requestProblemInformation', 'byte', ['connect']],
  [24, 'willDelayInterval', 'four byte integer', ['will']],
  [25, 'requestResponseInformation', 'byte', ['connect']],
  [26, 'responseInformation', 'utf-8 string', ['connack']],
  [28, 'serverReference', 'utf-8 string', ['connack', 'disconnect']],
  [31, 'reasonString', 'utf-8 string', ['connack', ...ACKS, 'suback', 'unsuback', 'disconnect', 'auth']],
  [33, 'receiveMaximum', 'two byte integer', ['connect', 'connack']],
  [34, 'topicAliasMaximum', 'two byte integer', ['connect', 'connack']],
  [35, 'topicAlias', 'two byte integer', ['publish']],
  [36, 'maximumQoS', 'byte', ['connack']],
  [37, 'retainAvailable', 'byte', ['connack']],
  [
    38,
    'userProperties',
    'utf-8 string pair',
    ['connect', 'connack', 'publish', 'will', ...ACKS, 'subscribe', 'suback', 'unsubscribe', 'unsuback', 'disconnect', 'auth'],
  ],
  [39, 'maximumPacketSize', 'four byte integer', ['connect', 'connack']],
  [40, 'wildcardSubscriptionAvailable', 'byte', ['connack']],
  [41, 'subscriptionIdentifiersAvailable', 'byte', ['connack']],
  [42, 'sharedSubscriptionAvailable', 'byte', ['connack']],
]

/** The properties the standard lets `packet` carry. */
export const allowedIn = (packet: PropertyPacket): Array<keyof Properties> =>
  SPEC.filter(([, , , where]) => where.includes(packet)).map(([, name]) => name)
