/**
 * A real directory process per store, a small community of fake nodes (each with its own HTTP server on
 * 127.0.0.1 receiving tokens, verifying them against the key the process printed), and the whole API over the
 * wire.
 */
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openToken } from '../../../core/crypto/tokens/verify.js';
import type { DirectoryClient } from '../../../core/directory/client.js';
import { acquireRedis, type TestRedis } from '../../helpers/redis.js';
import { spawnDirectory, runCli, type DirectoryProcess } from './directory-process.js';
import { startFakeNode, type FakeNode } from './fake-node.js';
import { http } from './http.js';

const relaxed = {
  rateLimits: {
    perAddress: { perSecond: 5000, burst: 5000 },
    perNode: { perSecond: 100, burst: 100 },
    connectionsPerNode: { perSecond: 100, burst: 100 },
  },
  delivery: { timeoutMs: 1000, retries: 1, retryDelayMs: 20 },
};

for (const kind of ['lowdb', 'redis'] as const) {
  describe(`directory process [${kind}]`, function () {
    this.timeout(60_000);
    let redis: TestRedis | undefined;
    let prefix = '';
    let dataDir: string;
    let proc: DirectoryProcess;
    let nodes: FakeNode[] = [];
    let clients: DirectoryClient[] = [];

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'openred-dirproc-'));
      await writeFile(join(dataDir, 'options.json'), JSON.stringify(relaxed));
      const args = ['--data', dataDir, '--allow-loopback', '--options', join(dataDir, 'options.json')];
      if (kind === 'redis') {
        redis = await acquireRedis();
        prefix = redis.prefix();
        args.push('--store', 'redis', '--redis-url', redis.url, '--key-prefix', prefix);
      }
      proc = await spawnDirectory(args);
      for (let i = 0; i < 4; i++) {
        const n = await startFakeNode({
          directoryPublicKey: proc.publicKey,
          capabilities: i % 2 ? ['messaging'] : ['messaging', 'file-sharing'],
        });
        nodes.push(n);
        clients.push(n.client(proc.url, proc.publicKey));
      }
    });

    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(nodes.map((n) => n.stop()));
      if (proc) await proc.stop();
      if (redis) {
        await redis.deleteKeys(prefix);
        await redis.release();
      }
      await rm(dataDir, { recursive: true, force: true });
      nodes = [];
      clients = [];
    });

    it('prints its URL, public key and fingerprint', () => {
      expect(proc.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(proc.publicKey).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(proc.fingerprint).to.match(/^([0-9a-f]{4}:){7}[0-9a-f]{4}$/);
    });

    it('serves a community: register, discover, list by capability', async () => {
      for (const c of clients) expect((await c.register()).status).to.equal('active');
      for (const c of clients) expect((await c.health()).counts!.total).to.equal(4);
      const b = await clients[0]!.discover(nodes[1]!.nodeId);
      expect(b).to.include({ api_url: nodes[1]!.url, status: 'active' });
      const sharing: string[] = [];
      for await (const n of clients[1]!.listAll({ capability: 'file-sharing', limit: 1 }))
        sharing.push(n.node_id);
      expect(sharing.sort()).to.deep.equal([nodes[0]!.nodeId, nodes[2]!.nodeId].sort());
    });

    it('brokers a connection: both nodes receive their token, linked by the same secret', async () => {
      const [a, b] = nodes;
      const result = await clients[0]!.requestConnection(b!.nodeId);
      expect(result.delivered).to.deep.equal({ initiator: true, responder: true });
      const ta = (await a!.waitForTokens(1)).at(-1)!;
      const tb = (await b!.waitForTokens(1)).at(-1)!;
      expect(ta.grant.grant_id).to.equal(result.grant_id);
      expect(tb.grant.grant_id).to.equal(result.grant_id);
      const [pa, pb] = await Promise.all([
        openToken(ta, a!.keys.x25519Private),
        openToken(tb, b!.keys.x25519Private),
      ]);
      expect(pa.equals(pb)).to.equal(true);
    });

    it('keeps nothing after answering: store and process hold no grant, token or secret', async () => {
      const [, , c, d] = nodes;
      await clients[2]!.requestConnection(d!.nodeId);
      const tc = (await c!.waitForTokens(1)).at(-1)!;
      const td = (await d!.waitForTokens(1)).at(-1)!;
      let stored = '';
      if (redis) {
        for (const key of await redis.keys(prefix)) {
          const type = await redis.client.type(key);
          stored +=
            key +
            (type === 'string'
              ? await redis.client.get(key)
              : (await redis.client.zrange(key, '0', '-1')).join());
        }
      } else {
        for (const f of await readdir(join(dataDir, 'nodes')))
          stored += await readFile(join(dataDir, 'nodes', f), 'utf8');
      }
      expect(stored).to.include(c!.nodeId); // the scan does see the store
      for (const s of [tc.grant.grant_id, tc.enc, tc.ct, tc.sig, td.enc, td.ct, td.sig])
        expect(stored).not.to.include(s);
      const health = await http(`${proc.url}/api/v3/health`);
      expect(health.body.grants_in_flight).to.equal(0);
    });

    it('refuses bad input over the wire with stable codes and stores nothing', async () => {
      const intruder = await startFakeNode({ directoryPublicKey: proc.publicKey });
      nodes.push(intruder);
      const url = `${proc.url}/api/v3/nodes/register`;
      const post = (json: unknown) => http(url, { method: 'POST', json });
      const cases: Array<[unknown, number, string]> = [
        [intruder.registration({}, { unsigned: true }), 400, 'OR_ERR_VALIDATION'],
        [{ ...intruder.registration(), sig: nodes[0]!.registration().sig }, 401, 'OR_ERR_BAD_SIGNATURE'],
        [intruder.registration({ ts: Date.now() - 3_600_000 }), 401, 'OR_ERR_CLOCK_SKEW'],
        [intruder.registration({ node_id: nodes[0]!.nodeId }), 400, 'OR_ERR_NODE_ID_MISMATCH'],
        [intruder.registration({ api_url: 'http://169.254.169.254/' }), 400, 'OR_ERR_API_URL_FORBIDDEN'],
        [intruder.registration({ api_url: 'http://[::ffff:10.0.0.1]:80/' }), 400, 'OR_ERR_API_URL_FORBIDDEN'],
        [intruder.registration({ api_url: 'file:///etc/passwd' }), 400, 'OR_ERR_API_URL_FORBIDDEN'],
        [{ ...intruder.registration(), pad: 'x'.repeat(20_000) }, 413, 'OR_ERR_BODY_TOO_LARGE'],
      ];
      for (const [body, status, code] of cases) {
        const res = await post(body);
        expect(res.status, code).to.equal(status);
        expect(res.body.error.code).to.equal(code);
      }
      const malformed = await http(url, {
        method: 'POST',
        raw: '{',
        headers: { 'content-type': 'application/json' },
      });
      expect(malformed.body.error.code).to.equal('OR_ERR_BAD_JSON');
      const c0 = clients[0]!;
      const err = await c0.discover(intruder.nodeId).catch((e: { code: string }) => e.code);
      expect(err).to.equal('OR_ERR_UNKNOWN_NODE');
      const conn = await http(`${proc.url}/api/v3/tokens/request-connection`, {
        method: 'POST',
        json: nodes[0]!.connectionRequest(intruder.nodeId),
      });
      expect(conn.body.error.code).to.equal('OR_ERR_UNKNOWN_NODE');
    });

    it('stops cleanly on SIGTERM', async () => {
      const code = await proc.stop();
      expect(code).to.equal(0);
      expect(proc.stdout()).to.include('"event":"stopped"');
    });
  });
}

describe('openred directory start (failures)', function () {
  this.timeout(30_000);
  it('exits non-zero with one clear line when Redis is unreachable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'openred-dirproc-'));
    try {
      const r = await runCli([
        'directory',
        'start',
        '--port',
        '0',
        '--data',
        dataDir,
        '--store',
        'redis',
        '--redis-url',
        'redis://127.0.0.1:1',
      ]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim().split('\n').at(-1)).to.match(/^openred: OR_ERR_STORE_UNAVAILABLE: /);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('rejects invalid options with the list of problems', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'openred-dirproc-'));
    try {
      await writeFile(
        join(dataDir, 'bad.json'),
        JSON.stringify({ bogus: 1, presence: { activeSeconds: 0 } }),
      );
      const r = await runCli([
        'directory',
        'start',
        '--data',
        dataDir,
        '--options',
        join(dataDir, 'bad.json'),
      ]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('OR_ERR_CONFIG');
      expect(r.stderr).to.include('directory/bogus is not allowed');
      expect(r.stderr).to.include('directory/presence/activeSeconds must be >= 1');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
