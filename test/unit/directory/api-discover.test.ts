import { expect } from 'chai';
import { http } from '../../integration/directory/http.js';
import type { FakeNode } from '../../integration/directory/fake-node.js';
import { discoverHeaders, forEachStore, signedDiscover, type TestDirectory } from './harness.js';

async function registerMany(
  t: TestDirectory,
  n: number,
  caps: (i: number) => string[] = () => ['messaging'],
) {
  const nodes: FakeNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await t.registered({ noServer: true, capabilities: caps(i) }));
  return nodes;
}

async function pages(t: TestDirectory, as: FakeNode, query: Record<string, string>) {
  const seen: string[][] = [];
  let cursor: string | null = null;
  do {
    const res = await signedDiscover(t, as, cursor === null ? query : { ...query, cursor });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    seen.push(res.body.nodes.map((n: { node_id: string }) => n.node_id));
    cursor = res.body.next_cursor;
  } while (cursor !== null);
  return seen;
}

forEachStore('GET /nodes/discover', (h) => {
  it('requires a signature from a registered node (anti-enumeration)', async () => {
    const t = await h.start();
    const a = await t.registered();
    const stranger = await t.node({ noServer: true });
    const q = { id: a.nodeId };
    const unsigned = await http(t.api(`/nodes/discover?id=${a.nodeId}`));
    expect(unsigned.status).to.equal(401);
    expect(unsigned.body.error.code).to.equal('OR_ERR_SIGNATURE_REQUIRED');
    const byStranger = await signedDiscover(t, stranger, q);
    expect(byStranger.status).to.equal(401);
    expect(byStranger.body.error.code).to.equal('OR_ERR_UNKNOWN_SIGNER');
    const b = await t.registered();
    const forged = await http(t.api(`/nodes/discover?id=${b.nodeId}`), {
      headers: discoverHeaders(a, { id: b.nodeId }, t.clock.now(), { id: a.nodeId }),
    });
    expect(forged.status).to.equal(401);
    expect(forged.body.error.code).to.equal('OR_ERR_BAD_SIGNATURE');
    const stale = await signedDiscover(t, a, q, t.clock.now() - 120_000);
    expect(stale.status).to.equal(401);
    expect(stale.body.error.code).to.equal('OR_ERR_CLOCK_SKEW');
    expect((await signedDiscover(t, a, q)).status).to.equal(200);
  });

  it('answers unsigned discovers when the operator turns signing off', async () => {
    const t = await h.start({ requireSignedDiscover: false });
    const a = await t.registered();
    const res = await http(t.api(`/nodes/discover?id=${a.nodeId}`));
    expect(res.status).to.equal(200);
    expect(res.body.node_id).to.equal(a.nodeId);
  });

  it('answers 404 OR_ERR_UNKNOWN_NODE for an unknown id and 400 for bad queries', async () => {
    const t = await h.start();
    const a = await t.registered();
    const other = await t.node({ noServer: true });
    const res = await signedDiscover(t, a, { id: other.nodeId });
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('OR_ERR_UNKNOWN_NODE');
    const badQueries: Array<Record<string, string>> = [
      { id: 'nope' },
      { status: 'sleeping' },
      { limit: '0' },
      { id: other.nodeId, status: 'active' },
      { foo: 'x' },
    ];
    for (const q of badQueries) {
      const bad = await signedDiscover(t, a, q);
      expect(bad.status, JSON.stringify(q)).to.equal(400);
    }
    const badCursor = await signedDiscover(t, a, { cursor: 'AAAA' });
    expect(badCursor.body.error.code).to.equal('OR_ERR_BAD_CURSOR');
    const repeated = await http(t.api('/nodes/discover?status=active&status=stale'), {
      headers: discoverHeaders(a, { status: 'active' }, t.clock.now()),
    });
    expect(repeated.status).to.equal(400);
  });

  it('pages through every node in id order with a cursor, no node twice', async () => {
    const t = await h.start();
    const nodes = await registerMany(t, 23);
    const got = await pages(t, nodes[0]!, { limit: '10' });
    expect(got.map((p) => p.length)).to.deep.equal([10, 10, 3]);
    const flat = got.flat();
    expect(flat).to.deep.equal(nodes.map((n) => n.nodeId).sort());
  });

  it('clamps limit to maxPageSize', async () => {
    const t = await h.start({ limits: { maxPageSize: 4 } });
    const nodes = await registerMany(t, 6);
    const res = await signedDiscover(t, nodes[0]!, { limit: '50' });
    expect(res.body.nodes).to.have.length(4);
    expect(res.body.next_cursor).to.be.a('string');
  });

  it('filters by capability', async () => {
    const t = await h.start();
    const nodes = await registerMany(t, 12, (i) =>
      i % 3 === 0 ? ['file-sharing', 'messaging'] : ['messaging'],
    );
    const sharing = nodes
      .filter((_, i) => i % 3 === 0)
      .map((n) => n.nodeId)
      .sort();
    expect((await pages(t, nodes[0]!, { capability: 'file-sharing', limit: '2' })).flat()).to.deep.equal(
      sharing,
    );
    expect((await pages(t, nodes[0]!, { capability: 'messaging' })).flat()).to.have.length(12);
    expect((await pages(t, nodes[0]!, { capability: 'nothing' })).flat()).to.deep.equal([]);
  });

  it('a node that changes its capabilities leaves the old index', async () => {
    const t = await h.start();
    const [a] = await registerMany(t, 1, () => ['file-sharing']);
    a!.capabilities = ['messaging'];
    t.clock.advance(1);
    expect((await t.post('/nodes/register', a!.registration())).status).to.equal(200);
    expect((await pages(t, a!, { capability: 'file-sharing' })).flat()).to.deep.equal([]);
    expect((await pages(t, a!, { capability: 'messaging' })).flat()).to.deep.equal([a!.nodeId]);
  });

  it('derives status from last_seen and the TTLs, and filters by it', async () => {
    const t = await h.start({ presence: { activeSeconds: 60, offlineSeconds: 300, retentionSeconds: 3600 } });
    const old = await registerMany(t, 3);
    t.clock.advance(120_000); // old ones are stale now
    const fresh = await registerMany(t, 2);
    const ids = (l: FakeNode[]) => l.map((n) => n.nodeId).sort();
    expect((await pages(t, fresh[0]!, { status: 'active' })).flat()).to.deep.equal(ids(fresh));
    expect((await pages(t, fresh[0]!, { status: 'stale' })).flat()).to.deep.equal(ids(old));
    expect((await signedDiscover(t, fresh[0]!, { id: old[0]!.nodeId })).body.status).to.equal('stale');
    t.clock.advance(200_000); // old: 320 s -> offline; fresh: 200 s -> stale
    for (const n of fresh) await t.post('/nodes/register', n.registration());
    expect((await pages(t, fresh[0]!, { status: 'offline' })).flat()).to.deep.equal(ids(old));
    expect((await signedDiscover(t, fresh[0]!, { id: old[0]!.nodeId })).body.status).to.equal('offline');
    const health = await http(t.api('/health'));
    expect(health.body.counts).to.deep.equal({ total: 5, active: 2, stale: 0, offline: 3 });
    t.clock.advance(3_600_001); // beyond retention: forgotten
    const late = await t.registered({ noServer: true });
    expect((await signedDiscover(t, late, { id: old[0]!.nodeId })).status).to.equal(404);
    expect((await pages(t, late, {})).flat()).to.deep.equal([late.nodeId]);
  });

  it('a page that meets only non-matching nodes stops at the scan budget with a cursor', async () => {
    const t = await h.start({ presence: { activeSeconds: 10, offlineSeconds: 20, retentionSeconds: 3600 } });
    const nodes = await registerMany(t, 5);
    t.clock.advance(60_000);
    const me = await t.registered({ noServer: true });
    const all = (await pages(t, me, { status: 'offline', limit: '2' })).flat();
    expect(all.sort()).to.deep.equal(nodes.map((n) => n.nodeId).sort());
  });
});
