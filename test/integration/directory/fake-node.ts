/**
 * A stand-in for a node process: its own keys, an HTTP server on 127.0.0.1 that receives connection tokens at
 * /p2p/tokens/receive (verifying them against the pinned directory key when one is given), and helpers to build
 * signed directory requests, including deliberately broken ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateNodeKeys, deriveNodeId, type NodeKeyPair } from '../../../core/crypto/identity.js';
import { signCanonical, signEd25519 } from '../../../core/crypto/signatures.js';
import type { ConnectionToken, NoiseSuite } from '../../../core/crypto/tokens/grant.js';
import { verifyToken } from '../../../core/crypto/tokens/verify.js';
import { systemClock, type Clock } from '../../../core/kernel/clock.js';
import { DirectoryClient, type DirectoryClientOptions } from '../../../core/directory/client.js';
import type { ConnectionRequestBody, RegistrationBody } from '../../../core/directory/protocol.js';
import { withoutSig } from '../../../core/directory/signing.js';

/** How the fake answers token deliveries. */
export type Behaviour =
  | 'accept'
  | 'reject' // 400
  | 'redirect' // 307 to another URL
  | 'hang' // never answers
  | { failFirst: number }; // 503 for the first n attempts, then accept

export interface FakeNodeOptions {
  directoryPublicKey?: string;
  clock?: Clock;
  behaviour?: Behaviour;
  capabilities?: string[];
  suites?: NoiseSuite[];
  /** Set to serve no HTTP at all (the node is only an identity). */
  noServer?: boolean;
}

export interface FakeNode {
  nodeId: string;
  keys: NodeKeyPair;
  /** api_url: `http://127.0.0.1:<port>` */
  url: string;
  received: ConnectionToken[];
  /** Delivery attempts seen, including refused ones. */
  attempts: number;
  behaviour: Behaviour;
  capabilities: string[];
  suites: NoiseSuite[];
  sign(data: Uint8Array): Promise<Uint8Array>;
  client(
    directoryUrl: string,
    directoryPublicKey: string,
    extra?: Partial<DirectoryClientOptions>,
  ): DirectoryClient;
  registration(overrides?: Partial<RegistrationBody>, opts?: { unsigned?: boolean }): RegistrationBody;
  connectionRequest(target: string, overrides?: Partial<ConnectionRequestBody>): ConnectionRequestBody;
  waitForTokens(n: number, timeoutMs?: number): Promise<ConnectionToken[]>;
  stop(): Promise<void>;
}

export async function startFakeNode(options: FakeNodeOptions = {}): Promise<FakeNode> {
  const keys = generateNodeKeys();
  const nodeId = deriveNodeId(keys.publicKeys);
  const clock = options.clock ?? systemClock;
  const hanging = new Set<import('node:http').ServerResponse>();
  let server: Server | null = null;
  let lastTs = 0;
  const nextTs = (): number => (lastTs = Math.max(clock.now(), lastTs + 1));

  const node: FakeNode = {
    nodeId,
    keys,
    url: 'http://127.0.0.1:9',
    received: [],
    attempts: 0,
    behaviour: options.behaviour ?? 'accept',
    capabilities: options.capabilities ?? ['messaging'],
    suites: options.suites ?? ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'],
    sign: async (data) => signEd25519(keys.ed25519Private, data),
    client: (directoryUrl, directoryPublicKey, extra = {}) =>
      new DirectoryClient({
        url: directoryUrl,
        directoryPublicKey,
        nodeId,
        publicKeys: keys.publicKeys,
        apiUrl: node.url,
        capabilities: node.capabilities,
        suites: node.suites,
        sign: node.sign,
        clock,
        timeoutMs: 5000,
        ...extra,
      }),
    registration: (overrides = {}, opts = {}) => {
      const body = {
        node_id: nodeId,
        api_url: node.url,
        keys: keys.publicKeys,
        suites: node.suites,
        capabilities: node.capabilities,
        ts: nextTs(),
        ...overrides,
      } as RegistrationBody;
      if (opts.unsigned) return withoutSig(body) as RegistrationBody;
      return {
        ...withoutSig(body),
        sig: overrides.sig ?? signCanonical(keys.ed25519Private, withoutSig(body)),
      };
    },
    connectionRequest: (target, overrides = {}) => {
      const body = { from: nodeId, target, ts: nextTs(), ...overrides } as ConnectionRequestBody;
      return {
        ...withoutSig(body),
        sig: overrides.sig ?? signCanonical(keys.ed25519Private, withoutSig(body)),
      };
    },
    waitForTokens: async (n, timeoutMs = 5000) => {
      const until = Date.now() + timeoutMs;
      while (node.received.length < n) {
        if (Date.now() > until)
          throw new Error(`fake node got ${node.received.length} tokens, expected ${n}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return node.received;
    },
    stop: async () => {
      for (const res of hanging) res.destroy();
      if (!server) return;
      const s = server;
      server = null;
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    },
  };

  if (options.noServer) return node;

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 65536) chunks.push(c);
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/p2p/tokens/receive') {
        res.writeHead(404).end();
        return;
      }
      node.attempts++;
      const b = node.behaviour;
      if (b === 'hang') {
        hanging.add(res);
        return;
      }
      if (b === 'reject') {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":{"code":"X","message":"no"}}');
        return;
      }
      if (b === 'redirect') {
        res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        return;
      }
      if (typeof b === 'object' && node.attempts <= b.failFirst) {
        res.writeHead(503).end();
        return;
      }
      try {
        const token = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
        const accepted = options.directoryPublicKey
          ? verifyToken(token, { directoryPublicKey: options.directoryPublicKey, selfId: nodeId, clock })
          : (token as ConnectionToken);
        node.received.push(accepted);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"accepted":true}');
      } catch {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":{"code":"BAD","message":"bad token"}}');
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return node;
}
