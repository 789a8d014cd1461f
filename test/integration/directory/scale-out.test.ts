/**
 * Two directory processes on one Redis, sharing one key folder: nodes register through one, discover and
 * request connections through the other, and the replay guard and rollback check hold across both.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectoryClient } from '../../../core/directory/client.js';
import { acquireRedis, type TestRedis } from '../../helpers/redis.js';
import { spawnDirectory, type DirectoryProcess } from './directory-process.js';
import { startFakeNode, type FakeNode } from './fake-node.js';
import { http } from './http.js';

describe('two directory processes on one Redis', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let prefix: string;
  let tmp: string;
  let one: DirectoryProcess;
  let two: DirectoryProcess;
  const nodes: FakeNode[] = [];
  const clients: DirectoryClient[] = [];

  before(async () => {
    redis = await acquireRedis();
    prefix = redis.prefix();
    tmp = await mkdtemp(join(tmpdir(), 'openred-scale-'));
    await writeFile(join(tmp, 'options.json'), JSON.stringify({ delivery: { timeoutMs: 1000, retries: 1 } }));
    const common = [
      '--store',
      'redis',
      '--redis-url',
      redis.url,
      '--key-prefix',
      prefix,
      '--key-dir',
      join(tmp, 'key'),
      '--allow-loopback',
      '--options',
      join(tmp, 'options.json'),
    ];
    // The first creates the shared key; the second must load the same one.
    one = await spawnDirectory([...common, '--data', join(tmp, 'one')]);
    two = await spawnDirectory([...common, '--data', join(tmp, 'two')]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([one?.stop(), two?.stop()]);
    await redis.deleteKeys(prefix);
    await redis.release();
    await rm(tmp, { recursive: true, force: true });
  });

  it('both present the same directory key', () => {
    expect(two.publicKey).to.equal(one.publicKey);
    expect(two.port).to.not.equal(one.port);
  });

  it('register through one, discover and request-connection through the other', async () => {
    const a = await startFakeNode({ directoryPublicKey: one.publicKey });
    const b = await startFakeNode({ directoryPublicKey: one.publicKey });
    nodes.push(a, b);
    const viaOne = [a.client(one.url, one.publicKey), b.client(one.url, one.publicKey)];
    const viaTwo = [a.client(two.url, two.publicKey), b.client(two.url, two.publicKey)];
    clients.push(...viaOne, ...viaTwo);
    await viaOne[0]!.register();
    await viaOne[1]!.register();
    expect((await viaTwo[0]!.discover(b.nodeId)).api_url).to.equal(b.url);
    const result = await viaTwo[0]!.requestConnection(b.nodeId);
    expect(result.delivered).to.deep.equal({ initiator: true, responder: true });
    expect((await b.waitForTokens(1))[0]!.grant.grant_id).to.equal(result.grant_id);
    expect((await viaTwo[1]!.health()).counts!.total).to.equal(2);
  });

  it('a request answered by one instance is a replay at the other; an old registration is a rollback at both', async () => {
    const [a, b] = nodes;
    const req = a!.connectionRequest(b!.nodeId);
    expect((await http(`${one.url}/api/v3/tokens/request-connection`, { json: req })).status).to.equal(200);
    const replay = await http(`${two.url}/api/v3/tokens/request-connection`, { json: req });
    expect(replay.status).to.equal(409);
    expect(replay.body.error.code).to.equal('OR_ERR_REPLAYED_REQUEST');

    const older = a!.registration({ api_url: 'http://127.0.0.1:1' });
    const newer = a!.registration();
    expect((await http(`${two.url}/api/v3/nodes/register`, { json: newer })).status).to.equal(200);
    const rollback = await http(`${one.url}/api/v3/nodes/register`, { json: older });
    expect(rollback.body.error.code).to.equal('OR_ERR_STALE_REGISTRATION');
  });
});
