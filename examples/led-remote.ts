/**
 * Seed 004 — "Secrets of MicroPython: MQTT on ESP32": two boards remote-control each other's LED.
 *
 * Two devices, "blue" and "green", each connect with keepalive 60, publish their button's value
 * to `<name>/btn/0` every half second, and drive their LED from the other's button topic. The
 * button is active-low, as on the tutorial's board: 1 when up, 0 while pressed; so a "0" from
 * the other device turns the LED on. Each loop: publish, sleep, check_msg() — as in the
 * tutorial. The buttons here are simulated: blue is pressed at ticks 3-4, green at 6-7.
 *
 * On a local mosquitto (the tutorial's broker), watch with `mosquitto_sub -v -t '+/btn/0'`, or
 * press green's button yourself: `mosquitto_pub -t green/btn/0 -m 0`.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { MqttClient } from '@x/simple'
import { BROKER_USAGE, intArg, parseExampleArgs } from './lib/args.js'
import { openBroker, type Broker } from './lib/broker.js'
import { isMain, runMain, type Print } from './lib/main.js'
import { topicPrefix } from './lib/prefix.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run led-remote [options]
Two simulated ESP32s, blue and green, each lighting its LED from the other's button (seed 004).
  --ticks N          loop this many times (default 10)
  --interval MS      pause of each loop (default 500, the tutorial's sleep(0.5))
  --prefix P         put the topics under P (default: none on the embedded broker, random elsewhere)
${BROKER_USAGE}`

type Name = 'blue' | 'green'

// The simulated button presses: at which ticks each button is held down.
const PRESSED: Record<Name, number[]> = { blue: [3, 4], green: [6, 7] }

/** One board: its button, its LED, and its MQTT client. */
interface Device {
  name: Name
  client: MqttClient
  BTN_TOPIC: string
  button: number // the GPIO value: 1 up, 0 pressed
  led: boolean
}

async function startDevice(name: Name, other: Name, broker: Broker, prefix: string): Promise<Device> {
  // CLIENT_NAME is both the client id and the first level of the topics, as in the tutorial.
  const clientId = prefix ? `${prefix.replaceAll('/', '-')}${name}` : name
  const mqttc = new MqttClient({ clientId, ...broker.options, keepaliveSec: 60 })
  const device: Device = { name, client: mqttc, BTN_TOPIC: `${prefix}${name}/btn/0`, button: 1, led: false }
  const LED_TOPIC = `${prefix}${other}/btn/0`

  // blink_led(): "1" means the other button is up, so the LED is off; anything else turns it on.
  mqttc.setCallback((_topic, msg) => {
    device.led = new TextDecoder().decode(msg) !== '1'
  })
  await mqttc.connect()
  await mqttc.subscribe(LED_TOPIC)
  return device
}

const row = (tick: number, devices: Device[]): string =>
  `${String(tick).padStart(4)}  ` +
  devices
    .map((d) => `${d.name.padEnd(5)} button ${d.button ? 'up  ' : 'DOWN'}  LED ${d.led ? '(*) ON ' : '( ) off'}`)
    .join('   |   ')
    .trimEnd()

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, { ticks: { type: 'string' }, interval: { type: 'string' }, prefix: { type: 'string' } })
  if (args.help) return print(USAGE)
  const ticks = intArg(args.ticks, 'ticks', 10, 1)
  const interval = intArg(args.interval, 'interval', 500, 1)

  const broker = await openBroker(args, { print })
  const devices: Device[] = []
  try {
    const prefix = topicPrefix(args.prefix, broker, print)
    devices.push(await startDevice('blue', 'green', broker, prefix))
    devices.push(await startDevice('green', 'blue', broker, prefix))
    for (const d of devices) {
      const other = d.name === 'blue' ? 'green' : 'blue'
      print(`${d.name} connected: publishes ${d.BTN_TOPIC}, its LED follows ${prefix}${other}/btn/0`)
    }
    print('tick  (each line: the buttons as published this tick, the LEDs after check_msg())')

    for (let tick = 1; tick <= ticks; tick++) {
      // mqttc.publish(BTN_TOPIC, str(btn.value()))
      for (const d of devices) {
        d.button = PRESSED[d.name].includes(tick) ? 0 : 1
        await d.client.publish(d.BTN_TOPIC, String(d.button))
      }
      await sleep(interval)
      // mqttc.check_msg(): runs blink_led() for what arrived meanwhile, never waits.
      for (const d of devices) d.client.checkMsg()
      print(row(tick, devices))
    }
  } finally {
    for (const d of devices) await d.client.disconnect()
    await broker.close()
  }
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
