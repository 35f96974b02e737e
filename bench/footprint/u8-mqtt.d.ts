// u8-mqtt ships no types: the little of its API the footprint programs use.
interface U8Client {
  with_tcp(url: string): U8Client
  with_websock(url: string): U8Client
  connect(packet: { client_id: string }): Promise<unknown>
  send(topic: string, payload: string): Promise<unknown>
  disconnect(): Promise<unknown>
}
declare module 'u8-mqtt/esm/node/basic-v4.mjs' {
  export default function mqtt(): U8Client
}
declare module 'u8-mqtt/esm/web/basic-v4.js' {
  export default function mqtt(): U8Client
}
