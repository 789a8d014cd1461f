import { expect } from 'chai';
import { join } from 'node:path';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { startCommunity, type Community } from '../../helpers/community.js';
import { httpRequest, repoRoot, Workspace } from '../../helpers/node-harness.js';
import { PLUGINS } from './helpers.js';

const g = globalThis as { __forgeMode?: string };

/** A node whose /p2p/auth/challenge answers as the test says: honestly, or forged one way or another. */
const forger = `import { definePlugin, nodeSigner, sessionOf } from '@openred/plugin-sdk';
import { answerChallenge } from '${join(repoRoot, 'plugins/authentication/challenge.ts')}';
import { randomBytes } from 'node:crypto';
export default definePlugin({
  name: 'forger',
  version: '1.0.0',
  setup(ctx) {
    ctx.p2p.post('/auth/challenge', async (req) => {
      const mode = (globalThis as any).__forgeMode;
      const body = req.body as { nonce: string };
      const signer = nodeSigner(ctx);
      const other = 'or' + 'a'.repeat(32);
      const a = await answerChallenge({
        signer,
        self: { id: ctx.node.id, publicKeys: ctx.node.publicKeys },
        now: ctx.clock.now() - (mode === 'stale' ? 600_000 : 0),
        challenger: mode === 'other-challenger' ? other : req.peer!,
        session: mode === 'wrong-session' ? 'not-this-session' : sessionOf(req)!.id,
        nonce: mode === 'wrong-nonce' ? randomBytes(32).toString('base64url') : body.nonce,
      });
      if (mode === 'bad-sig') a.sig = randomBytes(64).toString('base64url');
      if (mode === 'wrong-keys') a.keys = { ...a.keys, ed25519: randomBytes(32).toString('base64url') };
      if (mode === 'nonce-swapped') a.nonce = body.nonce.split('').reverse().join('');
      return a;
    });
  },
});
`;

describe('authentication: peer challenge-response (POST /p2p/auth/challenge)', function () {
  this.timeout(60_000);
  let community: Community;
  let ws: Workspace;
  let a: OpenRedNode;
  let b: OpenRedNode;
  let f: OpenRedNode;

  const challenge = (from: OpenRedNode, peer: string) =>
    httpRequest(`${from.urls.api}/api/auth/peer-challenge`, { method: 'POST', json: { peer } });

  before(async () => {
    ws = await Workspace.create();
    await ws.writePlugin('forger', forger);
    community = await startCommunity({ nodes: 0 });
    const auth = {
      plugins: { dirs: [PLUGINS], packages: false, hotReload: false },
      modules: { authentication: { scryptLog2N: 10 } },
    };
    a = await community.addNode(auth, 'a');
    b = await community.addNode(auth, 'b');
    f = await community.addNode(
      { plugins: { dirs: [ws.pluginsDir], packages: false, hotReload: false } },
      'f',
    );
  });

  after(async () => {
    delete g.__forgeMode;
    await community?.close();
    await ws?.cleanup();
  });

  it('a peer proves its node key, bound to the session both sides hold', async () => {
    const r = await challenge(a, b.id);
    expect(r.status, r.text).to.equal(200);
    const proof = r.json as { peer: string; session: string; keys: { ed25519: string } };
    expect(proof.peer).to.equal(b.id);
    expect(proof.keys).to.deep.equal(b.crypto.publicKeys);
    const mine = a.peers.sessions().filter((s) => s.peer === b.id);
    expect(mine.map((s) => s.id)).to.include(proof.session);
    expect(b.peers.sessions().map((s) => s.id)).to.include(proof.session);
  });

  it('an honest answer made by another plugin with the SDK signer verifies too', async () => {
    g.__forgeMode = 'honest';
    const r = await challenge(a, f.id);
    expect(r.status, r.text).to.equal(200);
  });

  for (const [mode, reason] of [
    ['bad-sig', 'bad signature'],
    ['wrong-keys', "the keys are not the peer's"],
    ['wrong-nonce', 'wrong nonce'],
    ['nonce-swapped', 'wrong nonce'],
    ['wrong-session', 'unknown session'],
    ['stale', 'stale'],
    ['other-challenger', 'answers another challenger'],
  ] as const) {
    it(`refuses a forged answer: ${mode}`, async () => {
      g.__forgeMode = mode;
      const r = await challenge(a, f.id);
      expect(r.status).to.equal(502);
      const error = (r.json as { error: { code: string; message: string } }).error;
      expect(error.code).to.equal('OR_ERR_CHALLENGE_INVALID');
      expect(error.message).to.include(reason);
    });
  }

  it('a peer without the route answers 404: the challenge fails cleanly', async () => {
    const plain = await community.addNode({}, 'plain');
    const r = await challenge(a, plain.id);
    expect(r.status).to.equal(502);
    expect((r.json as { error: { code: string } }).error.code).to.equal('OR_ERR_CHALLENGE_FAILED');
  });

  // Found by the HTTP fuzz suite: a node id nobody registered answered 502 OR_ERR_CHALLENGE_FAILED, as if a
  // peer had misbehaved; no peer was involved, so it is the caller's 404.
  it('a node id the directory does not know answers 404 OR_ERR_UNKNOWN_NODE', async () => {
    const r = await challenge(a, 'oraaa2a2a22a2aaa22a2aa22aa22aaaa22');
    expect(r.status, r.text).to.equal(404);
    expect((r.json as { error: { code: string } }).error.code).to.equal('OR_ERR_UNKNOWN_NODE');
  });
});
