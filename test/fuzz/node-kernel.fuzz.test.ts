/**
 * Hostile input against a node's kernel routes: token receipt and handshakes (unauthenticated peer routes),
 * the owner surface's node, peers and metrics routes, and unknown paths on both surfaces.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { loadOrCreateDirectoryKey } from '../../core/crypto/directory-key.js';
import { toB64u } from '../../core/crypto/encoding.js';
import { issueTokenPair } from '../../core/crypto/tokens/issue.js';
import type { ConnectionToken } from '../../core/crypto/tokens/grant.js';
import { handshakeRequestSchema } from '../../core/p2p/sessions/wire.js';
import { HttpProbe } from './lib/http-probe.js';
import { fuzzEndpoint } from './lib/fuzz-endpoint.js';
import { FUZZ_MAX_BODY, startFuzzCommunity, type FuzzCommunity } from './lib/fuzz-community.js';
import { httpRuns } from './lib/runs.js';
import type { Schema } from './lib/schema-arbitrary.js';
import { flushReport } from './lib/tally.js';

const KERNEL_MAX_BODY = 64 * 1024;

describe('fuzz: node kernel routes', function () {
  this.timeout(0); // bounded by the run count; every request has its own deadline
  let f: FuzzCommunity;
  let p2p: HttpProbe;
  let api: HttpProbe;
  let tokens: ConnectionToken[];

  before(async () => {
    f = await startFuzzCommunity();
    p2p = new HttpProbe(f.b.urls.p2p!);
    api = new HttpProbe(f.b.urls.api!);
    const directoryKey = loadOrCreateDirectoryKey(join(f.community.directory.options.dataDir)).privateKey;
    // Genuine tokens for B (as responder or initiator), issued with the directory's key and delivered, so
    // handshakes can name grants B holds (an unknown grant costs the responder's 3 s token wait).
    tokens = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const [x, y] = i % 2 ? [f.a, f.b] : [f.b, f.a];
        const pair = await issueTokenPair({
          directoryKey,
          initiator: { nodeId: x.id, keys: x.crypto.publicKeys },
          responder: { nodeId: y.id, keys: y.crypto.publicKeys },
          suite: '25519_ChaChaPoly_SHA256',
          ttlSeconds: 3600,
          epochSeconds: 3600,
          clock: f.community.clock,
        });
        return i % 2 ? pair.responderToken : pair.initiatorToken;
      }),
    );
    for (const t of tokens) await f.b.tokens!.receive(t);
  });
  afterEach(() => flushReport());
  after(async () => {
    await p2p?.close();
    await api?.close();
    await f?.close();
    flushReport();
  });

  it('POST /p2p/tokens/receive', async () => {
    await fuzzEndpoint(
      p2p,
      {
        method: 'POST',
        path: '/p2p/tokens/receive',
        validBody: fc.constantFrom(...tokens),
        maxBody: KERNEL_MAX_BODY,
      },
      httpRuns(),
    );
  });

  it('POST /p2p/handshake', async () => {
    const valid = fc
      .record({
        grant: fc.constantFrom(...tokens.map((t) => t.grant.grant_id)),
        msg: fc.uint8Array({ minLength: 1, maxLength: 200 }),
      })
      .map(({ grant, msg }) => ({
        grant_id: grant,
        from: f.a.id,
        keys: f.a.crypto.publicKeys,
        msg: toB64u(msg),
      }));
    await fuzzEndpoint(
      p2p,
      {
        method: 'POST',
        path: '/p2p/handshake',
        body: handshakeRequestSchema as Schema,
        validBody: valid,
        maxBody: KERNEL_MAX_BODY,
      },
      httpRuns(),
    );
  });

  it('unknown /p2p routes', async () => {
    await fuzzEndpoint(p2p, { method: 'POST', path: '/p2p/:a', maxBody: FUZZ_MAX_BODY }, httpRuns());
  });

  for (const [method, path] of [
    ['GET', '/api/node/status'],
    ['GET', '/api/node/plugins'],
    ['GET', '/api/peers'],
    ['GET', '/metrics'],
    ['POST', '/api/:a/:b'],
  ] as const) {
    it(`${method} ${path}`, async () => {
      await fuzzEndpoint(api, { method, path, maxBody: FUZZ_MAX_BODY }, httpRuns());
    });
  }

  it('POST /api/peers/connect', async () => {
    await fuzzEndpoint(
      api,
      {
        method: 'POST',
        path: '/api/peers/connect',
        body: {
          type: 'object',
          required: ['node_id'],
          properties: { node_id: { type: 'string', pattern: '^or[a-z2-7]{32}$' } },
        },
        // Mostly the peer it is already connected to, sometimes ids nobody registered.
        validBody: fc.oneof(
          { weight: 3, arbitrary: fc.constant({ node_id: f.a.id }) },
          { weight: 1, arbitrary: fc.stringMatching(/^or[a-z2-7]{32}$/).map((node_id) => ({ node_id })) },
        ),
        maxBody: KERNEL_MAX_BODY,
      },
      httpRuns(),
    );
  });
});
