/**
 * A flaky cluster, with @x/robust and a server list.
 *
 * Two embedded aedes nodes form one broker the way aedes clusters (one shared message bus and
 * one shared session store: lib/cluster.ts). A pump publishes a pressure reading at QoS 1 every
 * interval through node A (its list is [A, B]); a dashboard subscribes through node B (its list
 * is [B, A]), so every reading crosses the cluster. In the middle of the run node A stops, as a
 * crashed node would: the pump's 'connect' event shows it on node B a moment later (after the
 * backoff's first wait: a link that died young does not earn an instant retry), what it queued
 * meanwhile goes out, and every reading arrives.
 *
 * With --url URL,URL… the clients use those servers instead (no node to stop): try
 * --url mqtt://test.mosquitto.org,ws://test.mosquitto.org:8080, two ways into one broker.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { RobustClient } from '@x/robust'
import { intArg, parseExampleArgs, UsageError } from './lib/args.js'
import { startEmbeddedCluster, type EmbeddedCluster } from './lib/cluster.js'
import { waitUntil } from './lib/deadline.js'
import { isMain, runMain, type Print } from './lib/main.js'

const USAGE = `Usage: pnpm -s --filter @x/examples run flaky-cluster [options]
Publishes at QoS 1 through node A of a two-node cluster, stops node A mid-run, and shows the failover.
  --count N          readings to publish (default 12)
  --interval MS      one reading every MS (default 200)
  --down-at N        stop node A after reading N (default 4)
  --url URLS         comma-separated servers to use instead of the embedded cluster
  --help             show this text`

export async function main(argv: string[], print: Print = console.log): Promise<void> {
  const args = parseExampleArgs(argv, { count: { type: 'string' }, interval: { type: 'string' }, 'down-at': { type: 'string' } })
  if (args.help) return print(USAGE)
  if (args.user !== undefined || args.cafile !== undefined || args.tls)
    throw new UsageError('flaky-cluster takes --url only (put credentials in the URLs)')
  const count = intArg(args.count, 'count', 12, 1, 10_000)
  const interval = intArg(args.interval, 'interval', 200)
  const downAt = intArg(args['down-at'], 'down-at', 4, 0)

  const cluster: EmbeddedCluster | undefined = args.url ? undefined : await startEmbeddedCluster(2)
  const servers = args.url ? args.url.split(',').map((u) => u.trim()) : (cluster as EmbeddedCluster).nodes.map((n) => n.url)
  const names = new Map(servers.map((url, i) => [url, cluster ? `node ${'AB'[i]} (${url})` : url]))
  const t0 = Date.now()
  const log = (line: string): void => print(`${((Date.now() - t0) / 1000).toFixed(2).padStart(6)}s  ${line}`)
  print(
    cluster ? `No --url: a cluster of two embedded aedes nodes, ${[...names.values()].join(' and ')}` : `servers: ${servers.join(', ')}`,
  )

  const id = randomBytes(3).toString('hex')
  const topic = `${args.url ? `x-mqtt-${id}/` : ''}pumps/7/pressure`
  const reconnect = { minDelayMs: 200, maxDelayMs: 1000 }
  const pump = new RobustClient({ clientId: `pump-7-${id}`, server: servers, keepaliveSec: 10, reconnect })
  const dashboard = new RobustClient({ clientId: `dashboard-${id}`, server: [...servers].reverse(), keepaliveSec: 10, reconnect })
  const arrived = new Set<string>()
  let stoppedAt = 0
  pump.on('connect', (session, server) => {
    const after = stoppedAt ? ` ${Date.now() - stoppedAt} ms after node A stopped` : ''
    log(`pump connected to ${names.get(server) ?? server}${after}${session ? ', session kept' : ''}`)
  })
  pump.on('disconnect', (error) => log(`pump lost its link: ${error.message}`))
  pump.on('reconnecting', ({ attempt }) => log(`pump reconnecting (attempt ${attempt})`))
  dashboard.on('connect', (_session, server) => log(`dashboard connected to ${names.get(server) ?? server}`))
  dashboard.on('message', (_topic, payload) => {
    arrived.add(payload.toString())
    log(`  dashboard <- ${payload.toString()}`)
  })
  for (const client of [pump, dashboard]) client.on('error', (error) => log(`error: ${String(error)}`))
  try {
    await dashboard.connect()
    await dashboard.subscribe(topic, { qos: 1 })
    await pump.connect()
    const sent: Array<Promise<void>> = []
    for (let n = 1; n <= count; n++) {
      const reading = `reading #${n}: ${(2 + Math.random()).toFixed(2)} bar`
      sent.push(pump.publish(topic, reading, { qos: 1 }).then(() => log(`pump: ${reading.split(':')[0]} delivered`)))
      if (cluster && n === downAt) {
        log('node A stops (a crash): its clients lose their links')
        stoppedAt = Date.now()
        await cluster.stopNode(0)
      }
      await sleep(interval)
    }
    await Promise.all(sent)
    await waitUntil(() => arrived.size >= count, 10_000)
    log(`${arrived.size}/${count} readings arrived`)
    if (arrived.size < count) throw new Error(`${count - arrived.size} readings never reached the dashboard`)
  } finally {
    await pump.close()
    await dashboard.close()
    await cluster?.close()
  }
}

if (isMain(import.meta.url)) await runMain(main, USAGE)
