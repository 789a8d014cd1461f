import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SortedIds } from '../../../core/directory/store/sorted-ids.js';
import { ShardData, ShardFile } from '../../../core/directory/store/shard-file.js';
import type { NodeRecord } from '../../../core/directory/store/types.js';

describe('SortedIds', () => {
  it('behaves like a sorted set under any sequence of adds and deletes (property)', () => {
    const op = fc.tuple(fc.boolean(), fc.stringMatching(/^[a-d]{1,3}$/));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), fc.stringMatching(/^[a-d]{0,3}$/), (ops, cursor) => {
        const ids = new SortedIds();
        const ref = new Set<string>();
        for (const [add, id] of ops) {
          if (add) {
            ids.add(id);
            ref.add(id);
          } else {
            ids.delete(id);
            ref.delete(id);
          }
        }
        const sorted = [...ref].sort();
        expect([...ids.after(null)]).to.deep.equal(sorted);
        expect(ids.size).to.equal(sorted.length);
        const after = cursor === '' ? null : cursor;
        expect([...ids.after(after)]).to.deep.equal(sorted.filter((s) => after === null || s > after));
      }),
      { numRuns: 200 },
    );
  });

  it('splits into chunks and stays ordered with many ids', () => {
    const ids = new SortedIds();
    const all = Array.from(
      { length: 5000 },
      (_, i) => `id${((i * 7919) % 5000).toString().padStart(5, '0')}`,
    );
    for (const id of all) ids.add(id);
    for (const id of all.slice(0, 1000)) ids.delete(id);
    const expected = all.slice(1000).sort();
    expect([...ids.after(null)]).to.deep.equal(expected);
    expect([...ids.after(expected[2499]!)]).to.deep.equal(expected.slice(2500));
  });
});

describe('ShardFile', () => {
  it('writes exactly the JSON document of its records and reads them back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openred-shard-'));
    try {
      const rec = (id: string, ts: number): NodeRecord => ({
        node_id: id,
        api_url: 'https://n.example/"quoted"/é',
        keys: { x25519: 'A'.repeat(43), ed25519: 'B'.repeat(43) },
        suites: ['25519_AESGCM_SHA256'],
        capabilities: [],
        ts,
        last_seen: ts,
      });
      const data = new ShardData();
      const a = rec('or' + 'a'.repeat(32), 1);
      const b = rec('or' + 'b'.repeat(32), 2);
      data.set(a);
      data.set(b);
      data.set({ ...a, ts: 3 });
      data.delete(b.node_id);
      const file = new ShardFile(join(dir, 'shard.json'));
      await file.write(data);
      const text = await readFile(join(dir, 'shard.json'), 'utf8');
      expect(JSON.parse(text)).to.deep.equal({ v: 1, nodes: { [a.node_id]: { ...a, ts: 3 } } });
      expect(await file.records()).to.deep.equal([{ ...a, ts: 3 }]);
      expect((await file.read())!.size).to.equal(1);
      expect(await new ShardFile(join(dir, 'missing.json')).read()).to.equal(null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
