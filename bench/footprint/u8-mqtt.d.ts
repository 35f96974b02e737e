// u8-mqtt ships no types: the little of its API the footprint programs use.
interface U8Client {
  with_tcp(url: string): U8Client
  with_websock(url: string): U8Client
  connect(packet: { client_id: string }): Promise<unknown>
  /** QoS 1; with MQTT 5, `props` are the PUBLISH's properties; resolves the PUBACK's packets. */
  send(topic: string, payload: string, options?: { props?: Record<string, unknown> }): Promise<unknown>
  disconnect(): Promise<unknown>
}
declare module 'u8-mqtt/esm/node/basic-v4.mjs' {
  export default function mqtt(): U8Client
}
declare module 'u8-mqtt/esm/web/basic-v4.js' {
  export default function mqtt(): U8Client
}
declare module 'u8-mqtt/esm/node/basic-v5.mjs' {
  export default function mqtt(): U8Client
}
declare module 'u8-mqtt/esm/web/basic-v5.js' {
  export default function mqtt(): U8Client
}
