/**
 * A node reachable only through a fault proxy: the node advertises the proxy's URL (`node.publicUrl`), so
 * its peers and the directory connect through the proxy, and every fault injected there hits them.
 */
import type { Cluster, NodeSpec, SystemNode } from './cluster.js';
import { FaultProxy } from './fault-proxy.js';

export async function addProxiedNode(
  cluster: Cluster,
  name: string,
  spec: NodeSpec = {},
): Promise<{ node: SystemNode; proxy: FaultProxy }> {
  const proxy = await FaultProxy.start(0);
  cluster.defer(() => proxy.close());
  const node = await cluster.addNode(name, { ...spec, publicUrl: proxy.url }, false);
  proxy.targetPort = node.p2pPort;
  await node.start();
  return { node, proxy };
}
