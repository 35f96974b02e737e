/**
 * A broker cluster in this process, the way aedes clusters: several aedes instances sharing one
 * message bus (mqemitter) and one store (aedes-persistence), so a message published on one node
 * reaches subscribers on every node, and a session made on one node is found on the others. In
 * production the bus is mqemitter-redis (or -mongodb) and the store a shared database; in memory
 * here, so the example runs offline.
 */
import mqemitter from 'mqemitter'
import aedesPersistence, { type AedesMemoryPersistence } from 'aedes-persistence'
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.js'

export interface EmbeddedCluster {
  nodes: EmbeddedBroker[]
  /** Stops one node, as a crash would (its clients' links drop); the others go on. */
  stopNode(index: number): Promise<void>
  close(): Promise<void>
}

export async function startEmbeddedCluster(count: number): Promise<EmbeddedCluster> {
  const bus = mqemitter()
  // A CommonJS module whose types declare an ES default export: at run time the import is the factory.
  const persistence = (aedesPersistence as unknown as () => AedesMemoryPersistence)()
  // A stopping aedes closes its bus: each node gets a view of the shared one whose close() is
  // this cluster's to do, so one node going down does not take the others' bus with it.
  const view = new Proxy(bus, {
    get: (target, name) => {
      if (name === 'close') return (done?: () => void) => done?.()
      const value = Reflect.get(target, name, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const nodes: EmbeddedBroker[] = []
  const up = new Set<number>()
  try {
    for (let i = 0; i < count; i++) {
      nodes.push(await startEmbeddedBroker({ aedes: { mq: view, persistence } }))
      up.add(i)
    }
  } catch (error) {
    for (const node of nodes) await node.close()
    throw error
  }
  const stopNode = async (index: number): Promise<void> => {
    if (!up.delete(index)) return
    await (nodes[index] as EmbeddedBroker).close()
  }
  return {
    nodes,
    stopNode,
    close: async () => {
      for (const index of [...up]) await stopNode(index)
      await new Promise<void>((resolve) => bus.close(() => resolve()))
    },
  }
}
