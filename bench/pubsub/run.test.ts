/**
 * The bench's machinery, kept honest between runs: every library's adapter really carries
 * messages pub→sub at each QoS it is measured at, with a window, and the table reads ratios the
 * right way round. Small counts against the embedded broker: this checks the harness, it times nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startEmbeddedBroker, type EmbeddedBroker } from '../../examples/lib/embedded-broker.js'
import { startMosquitto } from '../../test/support/mosquitto.js'
import { LIBRARIES, LIBRARIES_DURABLE, LIBRARIES_V5 } from '../lib/libraries.js'
import { startWebSocketBroker } from '../lib/ws-broker.js'
import { formatTable } from '../lib/table.js'
import { pubsub } from './run.js'

let broker: EmbeddedBroker
beforeAll(async () => {
  broker = await startEmbeddedBroker({ websocket: true })
})
afterAll(() => broker.close())

// Every library over TCP, and those that speak it over WebSocket too, as the bench runs them.
const RUNS = LIBRARIES.flatMap((l) => [[l.name, 'TCP', l] as const, ...(l.websocket ? [[l.name, 'WebSocket', l] as const] : [])])

describe.each(RUNS)('%s over %s', (_name, transport, library) => {
  test.each(library.qos)('QoS %i: 300 messages with 20 in flight all arrive', async (qos) => {
    const url = transport === 'TCP' ? broker.url : (broker.wsUrl as string)
    const rate = await pubsub(library, url, { qos, size: 64, window: 20, count: 300 }, 10_000)
    expect(rate).toBeGreaterThan(0)
    expect(Number.isFinite(rate)).toBe(true)
  })
})

// The MQTT 5 row's clients, through the mosquitto daemon on its default configuration.
test('MQTT 5: each client carries 300 QoS 1 and 300 QoS 2 messages with 20 in flight through mosquitto', async () => {
  const mosquitto = await startMosquitto()
  try {
    expect(LIBRARIES_V5.map((l) => l.name)).toEqual(['MQTT.js', '@x/simple', '@x/robust'])
    for (const library of LIBRARIES_V5) {
      for (const qos of [1, 2] as const) {
        expect(
          await pubsub(library, mosquitto.urls.plain, { qos, size: 64, window: 20, count: 300 }, 10_000),
          `${library.name} QoS ${qos}`,
        ).toBeGreaterThan(0)
      }
    }
    // mosquitto logs each client's protocol: (p2, …) for 3.1.1, (p5, …) for 5. All twelve spoke 5.
    const connected = mosquitto.log().match(/New client connected .* as \S+ \(p\d/g) ?? []
    expect(connected.map((line) => line.slice(-2))).toEqual(Array(12).fill('p5'))
  } finally {
    await mosquitto.stop()
  }
}, 30_000)

test('the WebSocket rows have their broker in a process of its own, and it stops when asked', async () => {
  const ws = await startWebSocketBroker()
  try {
    expect(ws.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    const [simple] = LIBRARIES.filter((l) => l.name === '@x/simple')
    expect(await pubsub(simple as (typeof LIBRARIES)[number], ws.url, { qos: 1, size: 64, window: 10, count: 50 }, 10_000)).toBeGreaterThan(
      0,
    )
  } finally {
    await ws.stop()
  }
}, 30_000)

test('the table: ratios above 1× are better for the column, for throughput and for cost alike', () => {
  const table = formatTable(
    [
      {
        measure: 'speed',
        unit: 'msg/s',
        higherIsBetter: true,
        samples: new Map([
          ['them', [100]],
          ['us', [150]],
        ]),
      },
      {
        measure: 'heap',
        unit: 'B',
        higherIsBetter: false,
        samples: new Map([
          ['them', [4096]],
          ['us', [2048]],
        ]),
      },
    ],
    'them',
    ['us'],
    'bare',
  )
  expect(table).toContain('1.50×  150 msg/s')
  expect(table).toContain('2.00×  2.0 KiB')
})

// The durable rows' client: @x/robust with a LevelStore, through mosquitto.
test('with a LevelStore: @x/robust carries 300 QoS 1 and 300 QoS 2 messages with 20 in flight through mosquitto', async () => {
  const mosquitto = await startMosquitto()
  try {
    const durable = LIBRARIES_DURABLE.find((l) => l.name === '@x/robust') as (typeof LIBRARIES_DURABLE)[number]
    for (const qos of [1, 2] as const) {
      expect(await pubsub(durable, mosquitto.urls.plain, { qos, size: 64, window: 20, count: 300 }, 10_000), `QoS ${qos}`).toBeGreaterThan(
        0,
      )
    }
  } finally {
    await mosquitto.stop()
  }
}, 30_000)
