/**
 * Hostile input against every directory endpoint (`/api/v3/*`, `/health`, unknown routes). Valid requests
 * are signed by live fake nodes; damaged ones are sent both as damaged (so the signature check refuses
 * them) and re-signed after the damage (so the checks behind the signature see them too).
 */
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signCanonical } from '../../core/crypto/signatures.js';
import { silentLogger } from '../../core/kernel/logger.js';
import { startDirectory, type RunningDirectory } from '../../core/directory/start.js';
import {
  connectionRequestBodySchema,
  discoverQuerySchema,
  registrationBodySchema,
  SIGNED_HEADERS,
} from '../../core/directory/protocol.js';
import { discoverPayload, withoutSig } from '../../core/directory/signing.js';
import { startFakeNode, type FakeNode } from '../integration/directory/fake-node.js';
import { HttpProbe } from './lib/http-probe.js';
import { fuzzEndpoint } from './lib/fuzz-endpoint.js';
import { httpRuns } from './lib/runs.js';
import { flushReport } from './lib/tally.js';
import type { Schema } from './lib/schema-arbitrary.js';

const MAX_BODY = 16384;
const unlimited = { perSecond: 1e9, burst: 1e9 };

describe('fuzz: directory HTTP endpoints', function () {
  this.timeout(0); // bounded by the run count; every request has its own deadline
  let tmp: string;
  let dir: RunningDirectory;
  let probe: HttpProbe;
  const nodes: FakeNode[] = [];
  let seq = 0;
  const nextTs = (): number => Date.now() + seq++;

  /** Signs a (possibly damaged) body as the node it names, so the checks after the signature run. */
  const signAs =
    (field: string) =>
    (body: unknown): unknown => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
      const who = nodes.find((n) => n.nodeId === (body as Record<string, unknown>)[field]) ?? nodes[0]!;
      try {
        const unsigned = withoutSig(body as { sig?: unknown });
        return { ...unsigned, sig: signCanonical(who.keys.ed25519Private, unsigned) };
      } catch {
        return body; // not canonicalizable: send it as it is
      }
    };

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'openred-fuzz-dir-'));
    dir = await startDirectory(
      {
        port: 0,
        host: '127.0.0.1',
        dataDir: tmp,
        outbound: { allowLoopback: true },
        // The fuzzer sends thousands of requests per second from one address and a handful of node ids.
        rateLimits: { perAddress: unlimited, perNode: unlimited, connectionsPerNode: unlimited },
        delivery: { timeoutMs: 1000, retries: 0 },
      },
      { logger: silentLogger() },
    );
    for (let i = 0; i < 4; i++) {
      const n = await startFakeNode({ directoryPublicKey: dir.publicKey });
      nodes.push(n);
      await n.client(dir.url, dir.publicKey).register();
    }
    probe = new HttpProbe(dir.url);
  });

  afterEach(() => flushReport());
  after(async () => {
    await probe?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await dir?.stop();
    await rm(tmp, { recursive: true, force: true });
    flushReport();
  });

  const node = () => fc.constantFrom(...nodes);

  it('POST /api/v3/nodes/register', async () => {
    const valid = fc
      .record({
        n: node(),
        url: fc.constantFrom('own', 'http://127.0.0.1:9', 'http://[::1]:1/', 'https://example.org/x'),
        caps: fc.constantFrom<string[]>(['messaging'], [], ['file-sharing', 'x@y/z']),
      })
      .map(({ n, url, caps }) =>
        n.registration({ api_url: url === 'own' ? n.url : url, capabilities: caps, ts: nextTs() }),
      );
    await fuzzEndpoint(
      probe,
      {
        method: 'POST',
        path: '/api/v3/nodes/register',
        body: registrationBodySchema as Schema,
        validBody: valid,
        finish: (b) =>
          signAs('node_id')(
            typeof b === 'object' && b !== null && !Array.isArray(b) ? { ...b, ts: nextTs() } : b,
          ),
        maxBody: MAX_BODY,
      },
      httpRuns(),
    );
  });

  it('POST /api/v3/tokens/request-connection', async () => {
    const valid = fc
      .record({ a: node(), b: node(), suite: fc.constantFrom(undefined, '25519_AESGCM_SHA256') })
      .map(({ a, b, suite }) => a.connectionRequest(b.nodeId, { ts: nextTs(), ...(suite ? { suite } : {}) }));
    await fuzzEndpoint(
      probe,
      {
        method: 'POST',
        path: '/api/v3/tokens/request-connection',
        body: connectionRequestBodySchema as Schema,
        validBody: valid,
        finish: (b) =>
          signAs('from')(
            typeof b === 'object' && b !== null && !Array.isArray(b) ? { ...b, ts: nextTs() } : b,
          ),
        maxBody: MAX_BODY,
      },
      httpRuns(),
    );
  });

  it('GET /api/v3/nodes/discover', async () => {
    await fuzzEndpoint(
      probe,
      {
        method: 'GET',
        path: '/api/v3/nodes/discover',
        query: discoverQuerySchema as Schema,
        // Signed as one of the registered nodes over the query actually sent.
        validHeaders: (path) => {
          const me = nodes[seq % nodes.length]!;
          const ts = nextTs();
          const query = Object.fromEntries(new URL(path, 'http://x').searchParams);
          return {
            [SIGNED_HEADERS.node]: me.nodeId,
            [SIGNED_HEADERS.ts]: String(ts),
            [SIGNED_HEADERS.sig]: signCanonical(
              me.keys.ed25519Private,
              discoverPayload(query, ts, me.nodeId),
            ),
          };
        },
        maxBody: MAX_BODY,
      },
      httpRuns(),
    );
  });

  it('GET /api/v3/health', async () => {
    await fuzzEndpoint(probe, { method: 'GET', path: '/api/v3/health', maxBody: MAX_BODY }, httpRuns());
  });

  it('unknown routes under /api/v3', async () => {
    await fuzzEndpoint(
      probe,
      {
        method: 'POST',
        path: '/api/v3/:a/:b',
        params: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } },
        maxBody: MAX_BODY,
      },
      httpRuns(),
    );
  });
});
