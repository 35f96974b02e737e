/**
 * `@x/simple/codec`: the pure codecs of MQTT 3.1.1 and 5.0. `@x/simple` itself exports the 3.1.1
 * one and only the types of 5.0's, so that a program importing the client does not load the 5.0
 * codec until it connects with `protocolVersion: 5`.
 */
export * from './v4.js'
export * from './v5/index.js'
