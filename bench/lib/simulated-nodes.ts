/**
 * Lightweight simulated nodes for the scale benchmark: real Ed25519/X25519 keys and signed directory
 * requests, but no node process. One shared HTTP sink on 127.0.0.1 stands in for every node's
 * `/p2p/tokens/receive` (each node's api_url is `<sink>/n/<index>`), and counts the tokens pushed to it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deriveNodeId, generateNodeKeys, type NodeKeyPair } from '../../core/crypto/identity.js';
import { signCanonical } from '../../core/crypto/signatures.js';
import type { ConnectionRequestBody, RegistrationBody } from '../../core/directory/protocol.js';
import { discoverPayload } from '../../core/directory/signing.js';

export interface SimulatedNode {
  id: string;
  keys: NodeKeyPair;
  apiUrl: string;
}

export interface TokenSink {
  url: string;
  /** Token pushes answered 200. */
  received(): number;
  close(): Promise<void>;
}

/** One HTTP server accepting token pushes for any simulated node. */
export async function startTokenSink(): Promise<TokenSink> {
  let received = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/p2p/tokens/receive')) {
        received++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"stored"}');
      } else res.writeHead(404).end();
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** `count` nodes with fresh key pairs (node:crypto: about 0.1 ms per node). */
export function simulatedNodes(count: number, sinkUrl: string): SimulatedNode[] {
  return Array.from({ length: count }, (_, i) => {
    const keys = generateNodeKeys();
    return { id: deriveNodeId(keys.publicKeys), keys, apiUrl: `${sinkUrl}/n/${i}` };
  });
}

/** A signed registration (a heartbeat is the same with a later ts). */
export function registration(n: SimulatedNode, ts: number): string {
  const body: Omit<RegistrationBody, 'sig'> = {
    node_id: n.id,
    api_url: n.apiUrl,
    keys: n.keys.publicKeys,
    suites: ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'],
    capabilities: ['messaging'],
    ts,
  };
  return JSON.stringify({ ...body, sig: signCanonical(n.keys.ed25519Private, body) });
}

export function connectionRequest(from: SimulatedNode, target: SimulatedNode, ts: number): string {
  const body: Omit<ConnectionRequestBody, 'sig'> = { from: from.id, target: target.id, ts };
  return JSON.stringify({ ...body, sig: signCanonical(from.keys.ed25519Private, body) });
}

/** Headers of a signed `GET /api/v3/nodes/discover?id=<target>` made by `me`. */
export function discoverHeaders(me: SimulatedNode, targetId: string, ts: number): Record<string, string> {
  return {
    'openred-node': me.id,
    'openred-ts': String(ts),
    'openred-sig': signCanonical(me.keys.ed25519Private, discoverPayload({ id: targetId }, ts, me.id)),
  };
}
