import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateNodeKeys, deriveNodeId } from '../../../core/crypto/identity.js';
import type { DirectoryClient } from '../../../core/directory/client.js';
import { RateLimitError } from '../../../core/errors.js';
import { StoreContext, relaxedLimits } from './harness.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  throw new Error('did not fail');
}

describe('DirectoryClient', () => {
  const h = new StoreContext('lowdb');
  const clients: DirectoryClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await h.cleanup();
  });

  it('registers, discovers, lists and requests connections with signed requests', async () => {
    const t = await h.start();
    const a = await t.node({ capabilities: ['messaging'] });
    const b = await t.node({ capabilities: ['file-sharing'] });
    const ca = a.client(t.dir.url, t.dir.publicKey);
    const cb = b.client(`${t.dir.url}/api/v3/`, t.dir.publicKey);
    clients.push(ca, cb);
    expect((await ca.register()).status).to.equal('active');
    // Timestamps strictly increase even when the clock does not move.
    expect((await ca.register()).node_id).to.equal(a.nodeId);
    await cb.register();
    const seen = await ca.discover(b.nodeId);
    expect(seen).to.include({ node_id: b.nodeId, api_url: b.url, status: 'active' });
    const page = await ca.list({ capability: 'file-sharing' });
    expect(page.nodes.map((n) => n.node_id)).to.deep.equal([b.nodeId]);
    const everyone: string[] = [];
    for await (const n of ca.listAll({ status: 'active' })) everyone.push(n.node_id);
    expect(everyone.sort()).to.deep.equal([a.nodeId, b.nodeId].sort());
    const result = await ca.requestConnection(b.nodeId);
    expect(result.delivered).to.deep.equal({ initiator: true, responder: true });
    expect((await b.waitForTokens(1))[0]!.grant.grant_id).to.equal(result.grant_id);
    expect((await ca.health()).public_key).to.equal(t.dir.publicKey);
  });

  it('surfaces the directory error codes, with Retry-After on 429', async () => {
    const t = await h.start({ rateLimits: { ...relaxedLimits, perNode: { perSecond: 0.25, burst: 2 } } });
    const a = await t.node();
    const c = a.client(t.dir.url, t.dir.publicKey);
    clients.push(c);
    await c.register();
    expect(await code(c.discover(deriveNodeId(generateNodeKeys().publicKeys)))).to.equal(
      'OR_ERR_UNKNOWN_NODE',
    );
    try {
      await c.register();
      expect.fail('not limited');
    } catch (err) {
      expect(err).to.be.instanceOf(RateLimitError);
      expect((err as RateLimitError).retryAfterSeconds).to.equal(4);
    }
    const stranger = (await t.node()).client(t.dir.url, t.dir.publicKey);
    clients.push(stranger);
    expect(await code(stranger.list())).to.equal('OR_ERR_UNKNOWN_SIGNER');
  });

  it('refuses a directory that presents another key', async () => {
    const t = await h.start();
    const a = await t.node();
    const c = a.client(t.dir.url, generateNodeKeys().publicKeys.ed25519);
    clients.push(c);
    expect(await code(c.health())).to.equal('OR_ERR_DIRECTORY_KEY_MISMATCH');
  });

  it('reports an unreachable directory', async () => {
    const t = await h.start();
    const a = await t.node();
    const c = a.client('http://127.0.0.1:1', t.dir.publicKey, { timeoutMs: 500 });
    clients.push(c);
    expect(await code(c.register())).to.equal('OR_ERR_DIRECTORY_UNREACHABLE');
  });

  describe('against a lying directory', () => {
    let server: Server;
    let answer: unknown;
    let url: string;
    before(async () => {
      server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it('detects keys substituted for a node id', async () => {
      const t = await h.start();
      const a = await t.node();
      const victim = generateNodeKeys();
      const victimId = deriveNodeId(victim.publicKeys);
      answer = {
        node_id: victimId,
        api_url: 'http://127.0.0.1:1',
        keys: generateNodeKeys().publicKeys,
        suites: ['25519_ChaChaPoly_SHA256'],
        capabilities: [],
        last_seen: 1,
        status: 'active',
      };
      const c = a.client(url, t.dir.publicKey);
      clients.push(c);
      expect(await code(c.discover(victimId))).to.equal('OR_ERR_NODE_ID_MISMATCH');
      answer = { nodes: [answer], next_cursor: null };
      expect(await code(c.list())).to.equal('OR_ERR_NODE_ID_MISMATCH');
    });

    it('refuses answers that do not match the protocol schema', async () => {
      const t = await h.start();
      const a = await t.node();
      answer = { grant_id: 'x', delivered: 'yes' };
      const c = a.client(url, t.dir.publicKey);
      clients.push(c);
      expect(await code(c.requestConnection(deriveNodeId(generateNodeKeys().publicKeys)))).to.equal(
        'OR_ERR_DIRECTORY_BAD_ANSWER',
      );
    });
  });
});
