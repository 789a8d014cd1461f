import { expect } from 'chai';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter } from 'lowdb';
import { CoalescingDb } from '../../../core/storage/coalescing-db.js';
import { DurableJsonFile } from '../../../core/storage/durable-json-file.js';
import { PluginStorageRoot } from '../../../core/storage/plugin-storage.js';

interface Doc {
  items: number[];
}

/** An adapter whose writes finish when the test says so, recording what each finished write contained. */
class GatedAdapter implements Adapter<Doc> {
  readonly finished: number[][] = [];
  readonly pending: Array<() => void> = [];
  failNext = false;
  async read(): Promise<Doc | null> {
    return null;
  }
  async write(data: Doc): Promise<void> {
    const snapshot = [...data.items]; // what a real adapter serializes, synchronously
    const fail = this.failNext;
    this.failNext = false;
    await new Promise<void>((resolve) => this.pending.push(resolve));
    if (fail) throw new Error('disk full');
    this.finished.push(snapshot);
  }
  release(): void {
    this.pending.splice(0).forEach((r) => r());
  }
}

const turn = () => new Promise((r) => setImmediate(r));

/** A small deterministic PRNG so "random" interleavings are the same on every run. */
function prng(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('storage/coalescing-db', () => {
  it('coalesces many concurrent commits into two writes', async () => {
    const adapter = new GatedAdapter();
    const db = new CoalescingDb<Doc>(adapter, { items: [] });
    const commits = [];
    for (let i = 0; i < 100; i++) {
      db.data.items.push(i);
      commits.push(db.commit());
    }
    for (let i = 0; i < 10 && adapter.pending.length > 0; i++) {
      adapter.release();
      await turn();
    }
    await Promise.all(commits);
    // The first write saw item 0 only; the second carried the other 99.
    expect(db.writes).to.equal(2);
    expect(adapter.finished.at(-1)).to.have.length(100);
  });

  it('every commit resolves only after a finished write that contains its change', async () => {
    const adapter = new GatedAdapter();
    const db = new CoalescingDb<Doc>(adapter, { items: [] });
    const rand = prng(42);
    const violations: number[] = [];
    const commits: Array<Promise<void>> = [];
    for (let i = 0; i < 300; i++) {
      db.data.items.push(i);
      commits.push(
        db.commit().then(() => {
          if (!adapter.finished.some((w) => w.includes(i))) violations.push(i);
        }),
      );
      // Interleave: sometimes let writes finish, sometimes yield a microtask or a turn, sometimes nothing.
      const r = rand();
      if (r < 0.2) adapter.release();
      if (r < 0.4) await turn();
      else if (r < 0.7) await Promise.resolve();
    }
    for (let i = 0; i < 20 && adapter.pending.length > 0; i++) {
      adapter.release();
      await turn();
    }
    await Promise.all(commits);
    expect(violations).to.deep.equal([]);
    expect(db.writes).to.be.lessThan(300);
    expect(adapter.finished.at(-1)).to.have.length(300);
  });

  it('a failed write rejects its commits; the next commit writes again', async () => {
    const adapter = new GatedAdapter();
    const db = new CoalescingDb<Doc>(adapter, { items: [] });
    adapter.failNext = true;
    db.data.items.push(1);
    const first = db.commit();
    adapter.release();
    let error: unknown;
    await first.catch((err: unknown) => (error = err));
    expect((error as Error).message).to.equal('disk full');
    db.data.items.push(2);
    const second = db.commit();
    adapter.release();
    await second;
    expect(adapter.finished).to.deep.equal([[1, 2]]);
  });

  it('flush waits for the running and the scheduled write', async () => {
    const adapter = new GatedAdapter();
    const db = new CoalescingDb<Doc>(adapter, { items: [] });
    db.data.items.push(1);
    void db.commit();
    db.data.items.push(2);
    void db.commit();
    let flushed = false;
    const flushing = db.flush().then(() => (flushed = true));
    for (let i = 0; i < 10 && !flushed; i++) {
      adapter.release();
      await turn();
    }
    await flushing;
    expect(adapter.finished.at(-1)).to.deep.equal([1, 2]);
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'openred-storage-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('data survives reopening, and the file is private (0600)', async () => {
      const file = join(dir, 'inbox.json');
      const db = new CoalescingDb<Doc>(new DurableJsonFile<Doc>(file), { items: [] });
      await db.load();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          db.data.items.push(i);
          return db.commit();
        }),
      );
      expect(db.writes).to.be.at.most(3);
      const again = new CoalescingDb<Doc>(new DurableJsonFile<Doc>(file), { items: [] });
      await again.load();
      expect(again.data.items).to.have.length(50);
      expect((await stat(file)).mode & 0o777).to.equal(0o600);
      expect(JSON.parse(await readFile(file, 'utf8'))).to.deep.equal(again.data);
    });

    it('plugin collections are namespaced, shared between versions of a plugin, and flushed', async () => {
      const root = new PluginStorageRoot(dir);
      const a1 = await root.forPlugin('a').collection('c', { n: 0 });
      const a2 = await root.forPlugin('a').collection('c', { n: 0 });
      const b = await root.forPlugin('b').collection('c', { n: 0 });
      a1.data.n = 5;
      expect(a2.data.n).to.equal(5); // same open document across generations
      expect(b.data.n).to.equal(0);
      void a1.commit();
      await root.flush();
      expect(JSON.parse(await readFile(join(dir, 'plugins', 'a', 'c.json'), 'utf8'))).to.deep.equal({ n: 5 });
      expect(await root.forPlugin('a').list()).to.deep.equal(['c']);
      await root.forPlugin('a').drop('c');
      expect(await root.forPlugin('a').list()).to.deep.equal([]);
    });

    it('a collection is forgotten only when its last holder closes it, after its writes are flushed', async () => {
      const root = new PluginStorageRoot(dir);
      const storage = root.forPlugin('a');
      const first = await storage.collection('shard', { items: [] as number[] });
      const second = await storage.collection('shard', { items: [] as number[] });
      first.data.items.push(1);
      void first.commit();
      await first.close();
      expect(root.openCount).to.equal(1); // `second` still holds it: same live document
      expect(second.data.items).to.deep.equal([1]);
      second.data.items.push(2);
      void second.commit(); // not awaited: close must flush it
      await second.close();
      expect(root.openCount).to.equal(0);
      const file = join(dir, 'plugins', 'a', 'shard.json');
      expect(JSON.parse(await readFile(file, 'utf8'))).to.deep.equal({ items: [1, 2] });
      // Reopened from disk: an edit of the file between is seen, which proves the memory copy was dropped.
      await writeFile(file, JSON.stringify({ items: [7] }));
      const again = await storage.collection('shard', { items: [] as number[] });
      expect(again.data.items).to.deep.equal([7]);
      await again.close();
    });

    it('a closed handle refuses use with OR_ERR_STORAGE_CLOSED; closing twice counts once', async () => {
      const root = new PluginStorageRoot(dir);
      const storage = root.forPlugin('a');
      const keeper = await storage.collection('c', { n: 0 });
      const done = await storage.collection('c', { n: 0 });
      await done.close();
      await done.close();
      expect(root.openCount).to.equal(1); // the second close did not release `keeper`'s hold
      expect(() => done.data)
        .to.throw()
        .with.property('code', 'OR_ERR_STORAGE_CLOSED');
      let error: unknown;
      await done.commit().catch((err: unknown) => (error = err));
      expect(error).to.have.property('code', 'OR_ERR_STORAGE_CLOSED');
      expect(keeper.data.n).to.equal(0);
      await keeper.close();
      expect(root.openCount).to.equal(0);
    });

    it('refuses collection names that could escape the plugin folder', async () => {
      const storage = new PluginStorageRoot(dir).forPlugin('a');
      for (const name of ['../x', 'a/b', '', '.hidden']) {
        let error: unknown;
        await storage.collection(name, {}).catch((err: unknown) => (error = err));
        expect((error as { code: string }).code, name).to.equal('OR_ERR_STORAGE_NAME');
      }
    });
  });
});
