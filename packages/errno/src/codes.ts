/**
 * Every error number, by its symbol. The numbers below 50 are umqtt.simple2's and keep its
 * meanings, so a simple2 user recognises them; 50 and up are new.
 *
 * This table is the only one a client bundle needs (to fill `MqttError.errno`); the meanings
 * and the retry column live in `meanings.ts` so that a program which never calls `describe()`
 * does not carry them.
 */
export const Errno = {
  EUNKNOWN: -1,
  ECONCLOSE: 1,
  EREADLEN: 2,
  EWRITELEN: 3,
  ESTRTOLONG: 4,
  ERESPONSE: 6,
  EKEEPALIVE: 7,
  ENOCON: 8,
  ECONUNKNOWN: 20,
  ECONPROTOCOL: 21,
  ECONREJECT: 22,
  ECONUNAVAILABLE: 23,
  ECONCREDENTIALS: 24,
  ECONAUTH: 25,
  ECONNOT: 28,
  ECONLENGTH: 29,
  ECONTIMEOUT: 30,
  ESUBACKUNKNOWN: 40,
  ESUBACKFAIL: 44,
  // Bytes from the broker that break the standard.
  EMALFORMED: 50,
  EOVERSIZE: 51,
  // Arguments refused before a byte is sent.
  ETOPIC: 60,
  EFILTER: 61,
  EQOS: 62,
  ECLIENTID: 63,
  EPAYLOAD: 64,
  ETOOLARGE: 65,
  EOPTION: 66,
  ENOPID: 67,
  // Reaching the broker.
  EDNS: 70,
  ECONNREFUSED: 71,
  ETLS: 72,
  ECERT: 73,
  ESOCKETTIMEOUT: 74,
  EWRONGPORT: 75,
  // The client's own life cycle.
  ECLOSED: 80,
  // @x/robust's watch on acknowledgements.
  EACKTIMEOUT: 81,
  // @x/robust's offline queue.
  EQUEUEFULL: 90,
  EDROPPED: 91,
  // MQTT 5.0: what a broker's reason code says (the code itself is the error's `reasonCode`).
  EDISCONNECT: 100,
  EREFUSED: 101,
  EBANNED: 102,
  ESERVERBUSY: 103,
  EBADAUTHMETHOD: 104,
  EQUOTA: 105,
  ERATELIMIT: 106,
  EUSESERVER: 107,
  ESERVERMOVED: 108,
  ESESSIONTAKEN: 109,
  ESHUTDOWN: 110,
  // MQTT 5.0: asked for what the broker's CONNACK said it does not offer.
  ENOTSUPPORTED: 111,
  // MQTT 5.0 in @x/robust.
  ETIMEOUT: 112,
  EEXPIRED: 113,
  EREJECTED: 114,
  // @x/robust's store (durable sessions).
  ESTORE: 115,
} as const

/** The symbol of an error, such as `'ECONNOT'`. */
export type ErrorCode = keyof typeof Errno

/** The number of an error, such as `28`. */
export type ErrorNumber = (typeof Errno)[ErrorCode]
