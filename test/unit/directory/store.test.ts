import { expect } from 'chai';
import fc from 'fast-check';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../../core/kernel/clock.js';
import { toBase32 } from '../../../core/crypto/encoding.js';
import { LowdbStore } from '../../../core/directory/store/lowdb-store.js';
import { RedisStore } from '../../../core/directory/store/redis-store.js';
import type { DirectoryStore, NodeRecord } from '../../../core/directory/store/types.js';
import { acquireRedis, type TestRedis } from '../../helpers/redis.js';

const T0 = Date.UTC(2026, 0, 1);

function fakeId(): string {
  return 'or' + toBase32(randomBytes(20));
}

function record(id: string, ts: number, extra: Partial<NodeRecord> = {}): NodeRecord {
  return {
    node_id: id,
    api_url: `http://127.0.0.1:${1000 + (ts % 1000)}`,
    keys: { x25519: 'A'.repeat(43), ed25519: 'B'.repeat(43) },
    suites: ['25519_ChaChaPoly_SHA256'],
    capabilities: ['messaging'],
    ts,
    last_seen: ts,
    ...extra,
  };
}

type Opener = (clock: ManualClock, retentionSeconds?: number) => Promise<DirectoryStore>;

function storeSuite(
  kind: 'lowdb' | 'redis',
  setup: () => Promise<{ open: Opener; done: () => Promise<void> }>,
) {
  describe(`DirectoryStore [${kind}]`, function () {
    let open: Opener;
    let done: () => Promise<void>;
    let clock: ManualClock;
    let store: DirectoryStore;
    beforeEach(async () => {
      ({ open, done } = await setup());
      clock = new ManualClock(T0);
      store = await open(clock);
    });
    afterEach(async () => {
      await store.close();
      await done();
    });

    it('stores and returns a record', async () => {
      const id = fakeId();
      await store.upsertNode(record(id, T0));
      expect(await store.getNode(id)).to.deep.equal(record(id, T0));
      expect(await store.getNode(fakeId())).to.equal(null);
    });

    it('refuses a ts equal to or older than the stored one, atomically', async () => {
      const id = fakeId();
      await store.upsertNode(record(id, T0 + 10));
      for (const ts of [T0 + 10, T0 + 9]) {
        try {
          await store.upsertNode(record(id, ts, { api_url: 'http://127.0.0.1:9' }));
          expect.fail('accepted');
        } catch (err) {
          expect((err as { code: string }).code).to.equal('OR_ERR_STALE_REGISTRATION');
        }
      }
      expect((await store.getNode(id))!.ts).to.equal(T0 + 10);
      await store.upsertNode(record(id, T0 + 11));
      expect((await store.getNode(id))!.ts).to.equal(T0 + 11);
    });

    it('concurrent registrations of one node keep the greatest ts (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 12 }),
          async (tss) => {
            const id = fakeId();
            const results = await Promise.allSettled(tss.map((ts) => store.upsertNode(record(id, T0 + ts))));
            const stored = (await store.getNode(id))!;
            expect(stored.ts).to.equal(T0 + Math.max(...tss));
            // The first one always wins its slot; a refused one was never greater than the max at its turn.
            expect(results[0]!.status).to.equal('fulfilled');
          },
        ),
        { numRuns: 25 },
      );
    });

    it('lists by id with cursors, filters by capability and last_seen range', async () => {
      const ids = Array.from({ length: 30 }, fakeId);
      await Promise.all(
        ids.map((id, i) =>
          store.upsertNode(
            record(id, T0 + i, { capabilities: i % 2 ? ['messaging'] : ['messaging', 'files'] }),
          ),
        ),
      );
      const all: string[] = [];
      let after: string | null = null;
      do {
        const page = await store.listNodes({}, after, 7);
        all.push(...page.nodes.map((n) => n.node_id));
        after = page.after;
      } while (after !== null);
      expect(all).to.deep.equal([...ids].sort());
      const files = await store.listNodes({ capability: 'files' }, null, 100);
      expect(files.nodes.map((n) => n.node_id)).to.deep.equal(ids.filter((_, i) => i % 2 === 0).sort());
      expect(files.after).to.equal(null);
      const recent = await store.listNodes({ since: T0 + 20, before: T0 + 25 }, null, 100);
      expect(recent.nodes.map((n) => n.ts).sort()).to.deep.equal([20, 21, 22, 23, 24].map((i) => T0 + i));
      expect((await store.listNodes({ capability: 'none' }, null, 10)).nodes).to.deep.equal([]);
    });

    it('counts by presence thresholds', async () => {
      for (let i = 0; i < 10; i++) await store.upsertNode(record(fakeId(), T0 + i * 1000));
      expect(await store.counts(T0 + 7000, T0 + 3000)).to.deep.equal({
        total: 10,
        active: 3,
        stale: 4,
        offline: 3,
      });
    });

    it('forgets nodes not seen within the retention window', async () => {
      await store.close();
      store = await open(clock, 60);
      const old = fakeId();
      await store.upsertNode(record(old, T0));
      clock.advance(61_000);
      const fresh = fakeId();
      await store.upsertNode(record(fresh, clock.now()));
      expect(await store.getNode(old)).to.equal(null);
      expect((await store.listNodes({}, null, 10)).nodes.map((n) => n.node_id)).to.deep.equal([fresh]);
      expect((await store.counts(0, 0)).total).to.equal(1);
      // Forgotten means a new registration is accepted whatever its ts (the skew check guards replays).
      await store.upsertNode(record(old, T0 + 1, { last_seen: clock.now() }));
      expect((await store.getNode(old))!.ts).to.equal(T0 + 1);
    });

    it('claimOnce records a key for its TTL', async () => {
      expect(await store.claimOnce('abc', 60_000)).to.equal(true);
      expect(await store.claimOnce('abc', 60_000)).to.equal(false);
      expect(await store.claimOnce('abd', 60_000)).to.equal(true);
    });

    it('pings', async () => {
      expect(await store.ping()).to.equal(true);
    });
  });
}

storeSuite('lowdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'openred-store-'));
  return {
    open: (clock, retentionSeconds = 86400) =>
      LowdbStore.open({ dataDir: dir, shards: 4, retentionSeconds, clock }),
    done: () => rm(dir, { recursive: true, force: true }),
  };
});

let redis: TestRedis;
describe('RedisStore', function () {
  before(async () => {
    redis = await acquireRedis();
  });
  after(async () => {
    await redis.release();
  });
  storeSuite('redis', async () => {
    const prefix = redis.prefix();
    return {
      open: (clock, retentionSeconds = 86400) =>
        RedisStore.open({ url: redis.url, keyPrefix: prefix, retentionSeconds, clock }),
      done: () => redis.deleteKeys(prefix),
    };
  });

  it('presence via key expiry: a node key expires after the retention window', async () => {
    const prefix = redis.prefix();
    const store = await RedisStore.open({
      url: redis.url,
      keyPrefix: prefix,
      retentionSeconds: 1,
      clock: new ManualClock(T0),
    });
    try {
      const id = fakeId();
      await store.upsertNode(record(id, T0));
      const ttl = await redis.client.pttl(`${prefix}node:${id}`);
      expect(ttl).to.be.within(1, 1000);
      await new Promise((r) => setTimeout(r, ttl + 50));
      expect(await redis.client.exists(`${prefix}node:${id}`)).to.equal(0);
      expect(await store.getNode(id)).to.equal(null);
      expect((await store.listNodes({}, null, 10)).nodes).to.deep.equal([]);
      expect(await redis.client.zcard(`${prefix}idx`)).to.equal(0); // the page removed the dead index entry
    } finally {
      await store.close();
      await redis.deleteKeys(prefix);
    }
  });

  it('two instances on one Redis share records and the monotonic check', async () => {
    const prefix = redis.prefix();
    const clock = new ManualClock(T0);
    const s1 = await RedisStore.open({ url: redis.url, keyPrefix: prefix, retentionSeconds: 3600, clock });
    const s2 = await RedisStore.open({ url: redis.url, keyPrefix: prefix, retentionSeconds: 3600, clock });
    try {
      const id = fakeId();
      const tss = Array.from({ length: 40 }, (_, i) => T0 + ((i * 17) % 40));
      await Promise.allSettled(tss.map((ts, i) => (i % 2 ? s1 : s2).upsertNode(record(id, ts))));
      expect((await s1.getNode(id))!.ts).to.equal(T0 + 39);
      expect(await s2.getNode(id)).to.deep.equal(await s1.getNode(id));
    } finally {
      await s1.close();
      await s2.close();
      await redis.deleteKeys(prefix);
    }
  });

  it('a Redis that cannot be reached is OR_ERR_STORE_UNAVAILABLE', async () => {
    try {
      await RedisStore.open({
        url: 'redis://127.0.0.1:1',
        keyPrefix: 'x:',
        retentionSeconds: 60,
        clock: new ManualClock(),
      });
      expect.fail('opened');
    } catch (err) {
      expect((err as { code: string }).code).to.equal('OR_ERR_STORE_UNAVAILABLE');
    }
  });
});

describe('LowdbStore files', function () {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-store-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock(T0);
  const shardFiles = async () =>
    (await readdir(join(dir, 'nodes'))).filter((f) => f.startsWith('shard-')).sort();

  it('survives a restart, and re-shards when the shard count changes', async () => {
    const ids = Array.from({ length: 40 }, fakeId);
    const s1 = await LowdbStore.open({ dataDir: dir, shards: 8, retentionSeconds: 86400, clock });
    await Promise.all(ids.map((id, i) => s1.upsertNode(record(id, T0 + i))));
    await s1.close();
    const s2 = await LowdbStore.open({ dataDir: dir, shards: 3, retentionSeconds: 86400, clock });
    expect((await s2.listNodes({}, null, 100)).nodes.map((n) => n.node_id)).to.deep.equal([...ids].sort());
    expect(await shardFiles()).to.deep.equal(['shard-0of3.json', 'shard-1of3.json', 'shard-2of3.json']);
    await s2.close();
  });

  it('ignores temp files a crash left behind and keeps the newest copy of a duplicated record', async () => {
    const id = fakeId();
    const s1 = await LowdbStore.open({ dataDir: dir, shards: 2, retentionSeconds: 86400, clock });
    await s1.upsertNode(record(id, T0 + 5));
    await s1.close();
    await writeFile(join(dir, 'nodes', '.shard-0of2.json.abc.tmp'), '{"v":1,"nod');
    await writeFile(
      join(dir, 'nodes', 'shard-0of5.json'),
      JSON.stringify({ v: 1, nodes: { [id]: record(id, T0 + 1) } }),
    );
    const s2 = await LowdbStore.open({ dataDir: dir, shards: 2, retentionSeconds: 86400, clock });
    expect((await s2.getNode(id))!.ts).to.equal(T0 + 5);
    expect(await shardFiles()).to.deep.equal(['shard-0of2.json', 'shard-1of2.json']);
    await s2.close();
  });

  it('recovers acknowledged registrations from the journal after an unclean stop, skipping a torn line', async () => {
    const ids = Array.from({ length: 50 }, fakeId);
    const s1 = await LowdbStore.open({ dataDir: dir, shards: 4, retentionSeconds: 86400, clock });
    await Promise.all(ids.map((id, i) => s1.upsertNode(record(id, T0 + i))));
    // What a crash right now would leave: a copy of the folder, plus a half-written line after the acknowledged ones.
    const crashed = join(dir, 'crashed');
    await cp(join(dir, 'nodes'), join(crashed, 'nodes'), { recursive: true });
    await s1.close();
    const journal = (await readdir(join(crashed, 'nodes'))).find((f) => f.startsWith('journal-'))!;
    await appendFile(join(crashed, 'nodes', journal), '{"node_id":"or');
    expect((await readdir(join(crashed, 'nodes'))).filter((f) => f.startsWith('shard-'))).to.deep.equal([]);
    const s2 = await LowdbStore.open({ dataDir: crashed, shards: 4, retentionSeconds: 86400, clock });
    expect((await s2.listNodes({}, null, 100)).nodes.map((n) => n.node_id)).to.deep.equal([...ids].sort());
    expect(await readdir(join(crashed, 'nodes'))).not.to.include(journal); // folded into the shards at start
    await s2.close();
  });

  it('folds the journal into the shard files when it grows, and on close', async () => {
    const s = await LowdbStore.open({
      dataDir: dir,
      shards: 4,
      retentionSeconds: 86400,
      clock,
      compactBytes: 2000,
    });
    const ids = Array.from({ length: 60 }, fakeId);
    for (const [i, id] of ids.entries()) await s.upsertNode(record(id, T0 + i));
    await s.close();
    const files = await readdir(join(dir, 'nodes'));
    expect(files.filter((f) => f.startsWith('journal-'))).to.deep.equal([]);
    let stored = 0;
    for (const f of files)
      stored += Object.keys(JSON.parse(await readFile(join(dir, 'nodes', f), 'utf8')).nodes).length;
    expect(stored).to.equal(60);
  });

  it('spreads nodes evenly over the shard files', async () => {
    const s = await LowdbStore.open({ dataDir: dir, shards: 8, retentionSeconds: 86400, clock });
    await Promise.all(Array.from({ length: 1600 }, (_, i) => s.upsertNode(record(fakeId(), T0 + i))));
    await s.close();
    for (const f of await readdir(join(dir, 'nodes'))) {
      const n = Object.keys(JSON.parse(await readFile(join(dir, 'nodes', f), 'utf8')).nodes).length;
      expect(n, f).to.be.within(120, 280);
    }
  });

  it('coalesces concurrent registrations into few writes', async () => {
    const s = await LowdbStore.open({ dataDir: dir, shards: 1, retentionSeconds: 86400, clock });
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.upsertNode(record(fakeId(), T0 + i))));
    expect(s.writes).to.be.below(10);
    await s.close();
    const onDisk = await LowdbStore.open({ dataDir: dir, shards: 1, retentionSeconds: 86400, clock });
    expect((await onDisk.counts(0, 0)).total).to.equal(200);
    await onDisk.close();
  });
});
