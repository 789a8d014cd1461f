import { expect } from 'chai';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startCommunity, type Community } from '../../helpers/community.js';
import { pollUntil } from '../../helpers/node-harness.js';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { advanceUntil, allowAnonymousOwner, api, PLUGINS } from './helpers.js';

interface Outbound {
  id: string;
  to: string;
  seq: number;
  state: string;
  attempts: number;
  last_error: string | null;
}
interface Inbound {
  id: string;
  from: string;
  seq: number;
  body: string;
  read_at: number | null;
}

const send = (from: OpenRedNode, to: OpenRedNode, body: string) =>
  api<Outbound>(from, 'POST', '/api/messages', { to: to.id, body });
const inbox = async (node: OpenRedNode, query = '') =>
  (await api<{ messages: Inbound[] }>(node, 'GET', `/api/messages${query}`)).json.messages;
const outbox = async (node: OpenRedNode, query = '') =>
  (await api<{ messages: Outbound[] }>(node, 'GET', `/api/outbox${query}`)).json.messages;
const stateOf = async (node: OpenRedNode, id: string) => (await outbox(node)).find((m) => m.id === id)?.state;

/** A wire message as a sender would deliver it. */
const wire = (seq: number, extra: Record<string, unknown> = {}) => ({
  id: `test-msg-${seq}-${'x'.repeat(8)}`,
  stream: 'stream-test-1',
  seq,
  body: `body ${seq}`,
  sent_at: 1,
  ...extra,
});

describe('modules: messaging between two nodes (in process, manual clock)', function () {
  this.timeout(30_000);
  let c: Community;
  let a: OpenRedNode;
  let b: OpenRedNode;
  const events: Array<{ event: string; payload: Record<string, unknown> }> = [];

  let restoreEnv: () => void;
  // Events follow the write that records the outcome, which may end just after the state is visible.
  const sawEvent = (event: string, id: string) =>
    pollUntil(() => events.some((e) => e.event === event && e.payload.id === id), { what: event });

  before(async () => {
    restoreEnv = allowAnonymousOwner();
    c = await startCommunity({
      nodes: 2,
      // The tests move the clock by hours; heartbeats run on real time, so presence must not lapse meanwhile.
      directory: { presence: { activeSeconds: 86400, offlineSeconds: 86400, retentionSeconds: 86400 } },
      node: {
        plugins: { dirs: [PLUGINS], packages: false, hotReload: false },
        modules: {
          messaging: {
            tickMs: 10,
            shardSize: 10,
            retry: { baseMs: 1000, maxMs: 4000, maxAttempts: 6, maxAgeMs: 3_600_000 },
          },
        },
      },
    });
    [a, b] = c.nodes as [OpenRedNode, OpenRedNode];
    for (const event of ['message.delivered', 'message.failed', 'message.received']) {
      a.events.on(event, (p) => void events.push({ event, payload: p as Record<string, unknown> }));
      b.events.on(event, (p) => void events.push({ event, payload: p as Record<string, unknown> }));
    }
  });

  after(async () => {
    await c?.close();
    restoreEnv();
  });

  it('round trip: queued before the answer, delivered, stored once, events on both sides', async () => {
    const sent = await send(a, b, 'hello b');
    expect(sent.status).to.equal(201);
    expect(sent.json).to.include({ to: b.id, state: 'queued', seq: 1 });
    await pollUntil(async () => (await stateOf(a, sent.json.id)) === 'delivered', { what: 'delivery' });
    const got = await inbox(b, `?peer=${a.id}`);
    expect(got.map((m) => [m.id, m.from, m.body])).to.deep.equal([[sent.json.id, a.id, 'hello b']]);
    await sawEvent('message.received', sent.json.id);
    await sawEvent('message.delivered', sent.json.id);
  });

  it('peer offline for a while, then back: everything arrives once, in order', async () => {
    await b.stop();
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) ids.push((await send(a, b, `offline ${i}`)).json.id);
    // Several failed rounds: attempts grow, messages stay queued.
    await advanceUntil(
      c.clock,
      1500,
      async () => (await outbox(a, '?state=queued')).every((m) => m.attempts >= 3),
      'failed rounds',
    );
    const queued = await outbox(a, '?state=queued');
    expect(queued).to.have.length(15);
    expect(queued[0]!.last_error).to.match(/^OR_ERR_/);
    b = await c.restart(b);
    await advanceUntil(
      c.clock,
      1000,
      async () => (await outbox(a, '?state=queued')).length === 0,
      'the queue to drain',
    );
    const mine = (await inbox(b, `?peer=${a.id}`)).filter((m) => m.body.startsWith('offline'));
    expect(mine.map((m) => m.id)).to.deep.equal(ids);
    const seqs = mine.map((m) => m.seq);
    expect(seqs).to.deep.equal([...seqs].sort((x, y) => x - y));
  });

  it('a duplicated delivery is acknowledged but stored once', async () => {
    const first = await a.peers.request(b.id, 'POST', '/message', wire(1));
    const again = await a.peers.request(b.id, 'POST', '/message', wire(1));
    expect(first.body).to.deep.include({ status: 'stored' });
    expect(again.body).to.deep.include({ status: 'duplicate' });
    const concurrent = await Promise.all(
      [2, 2, 2, 2].map((seq) => a.peers.request(b.id, 'POST', '/message', wire(seq))),
    );
    expect(concurrent.map((r) => (r.body as { status: string }).status).sort()).to.deep.equal([
      'duplicate',
      'duplicate',
      'duplicate',
      'stored',
    ]);
    const got = (await inbox(b)).filter((m) => m.id.startsWith('test-msg-'));
    expect(got.map((m) => m.seq)).to.deep.equal([1, 2]);
  });

  it('messages that arrive out of order are kept in sender order; a reused seq is refused', async () => {
    for (const seq of [5, 3, 4]) await a.peers.request(b.id, 'POST', '/message', wire(seq));
    const got = (await inbox(b)).filter((m) => m.id.startsWith('test-msg-'));
    expect(got.map((m) => m.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    const clash = await a.peers.request(b.id, 'POST', '/message', wire(3, { id: 'another-id-for-3' }));
    expect(clash.status).to.equal(409);
    expect(clash.body).to.deep.equal({
      error: {
        code: 'OR_ERR_MESSAGE_SEQ_CONFLICT',
        message: 'sequence 3 of stream stream-test-1 already holds another message',
      },
    });
  });

  it('malformed and oversized messages are refused and nothing is stored', async () => {
    const before = (await inbox(b)).length;
    const bad: unknown[] = [
      {},
      { ...wire(50), id: 'short' },
      { ...wire(50), seq: 0 },
      { ...wire(50), seq: 'one' },
      { ...wire(50), body: 42 },
      { ...wire(50), extra: true },
      { ...wire(50), content_type: 'not a type' },
      { ...wire(50), body: 'x'.repeat(70_000) },
      'just a string',
    ];
    for (const body of bad) {
      const r = await a.peers.request(b.id, 'POST', '/message', body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).to.equal(400);
      expect((r.body as { error: { code: string } }).error.code).to.equal('OR_ERR_VALIDATION');
    }
    expect((await inbox(b)).length).to.equal(before);
    const r = await api(a, 'POST', '/api/messages', { to: 'not-a-node', body: 'x' });
    expect(r.status).to.equal(400);
    const self = await api<{ error: { code: string } }>(a, 'POST', '/api/messages', { to: a.id, body: 'x' });
    expect(self.json.error.code).to.equal('OR_ERR_SELF');
  });

  it('a message the receiver cannot store is not acknowledged, and is delivered once it can', async () => {
    const shardDir = join(b.config.node.dataDir, 'plugins', 'messaging');
    const streamFile = (await readdir(shardDir)).find(
      (f) => f.startsWith(`in.${a.id}.`) && !f.includes('stream-test'),
    )!;
    const stream = streamFile.split('.')[2]!;
    // Shards hold 10 messages: fill up to seq 19, then put a folder where shard 2 (seq 20-29) would be written.
    const last = (await outbox(a, `?peer=${b.id}`))[0]!.seq;
    for (let s = last + 1; s < 20; s++) await send(a, b, `filler ${s}`);
    await advanceUntil(c.clock, 100, async () => (await outbox(a, '?state=queued')).length === 0, 'fillers');
    const blocked = join(shardDir, `in.${a.id}.${stream}.2.json`);
    await mkdir(blocked);
    const stuck = await send(a, b, 'cannot be stored yet');
    await advanceUntil(
      c.clock,
      500,
      async () =>
        ((await outbox(a, '?state=queued')).find((m) => m.id === stuck.json.id)?.attempts ?? 0) >= 2,
      'failed rounds',
    );
    expect((await inbox(b)).some((m) => m.id === stuck.json.id)).to.equal(false);
    await rm(blocked, { recursive: true });
    await advanceUntil(
      c.clock,
      1000,
      async () => (await stateOf(a, stuck.json.id)) === 'delivered',
      'redelivery',
    );
    expect((await inbox(b)).filter((m) => m.id === stuck.json.id)).to.have.length(1);
  });

  it('a message the peer refuses (too large for it) fails at once; bounded attempts fail the rest', async () => {
    const c3 = await c.addNode({
      plugins: { dirs: [PLUGINS], packages: false, hotReload: false },
      modules: { messaging: { tickMs: 10, maxMessageBytes: 10 } },
    });
    const big = await send(a, c3, 'far more than ten bytes');
    await pollUntil(async () => (await stateOf(a, big.json.id)) === 'failed', { what: 'refusal' });
    const failed = (await outbox(a, '?state=failed')).find((m) => m.id === big.json.id)!;
    expect(failed.last_error).to.equal('OR_ERR_MESSAGE_TOO_LARGE');
    await sawEvent('message.failed', big.json.id);

    await c3.stop();
    const lost = await send(a, c3, 'short');
    await advanceUntil(c.clock, 1000, async () => (await stateOf(a, lost.json.id)) === 'failed', 'giving up');
    const gaveUp = (await outbox(a, '?state=failed')).find((m) => m.id === lost.json.id)!;
    expect(gaveUp.attempts).to.equal(6);
    // The owner can put it back in the queue; it is delivered once the peer is back.
    const again = await c.restart(c3);
    const retry = await api<{ requeued: string[] }>(a, 'POST', '/api/outbox/retry', { ids: [lost.json.id] });
    expect(retry.json.requeued).to.deep.equal([lost.json.id]);
    await advanceUntil(
      c.clock,
      1000,
      async () => (await stateOf(a, lost.json.id)) === 'delivered',
      'after requeue',
    );
    expect((await inbox(again)).map((m) => m.body)).to.deep.equal(['short']);
  });

  it('owner API: peer and since filters, mark read, delete, unknown ids', async () => {
    const t0 = c.clock.now() + 1;
    c.clock.advance(10);
    const m1 = await send(a, b, 'filter me');
    await pollUntil(async () => (await stateOf(a, m1.json.id)) === 'delivered', { what: 'delivery' });
    const recent = await inbox(b, `?since=${t0}`);
    expect(recent.map((m) => m.body)).to.deep.equal(['filter me']);
    expect(await inbox(b, `?since=${new Date(t0).toISOString()}&peer=${a.id}`)).to.have.length(1);
    const bad = await api<{ error: { code: string } }>(b, 'GET', '/api/messages?since=yesterday');
    expect(bad.json.error.code).to.equal('OR_ERR_BAD_SINCE');

    const read = await api(b, 'POST', '/api/messages/read', { ids: [m1.json.id, 'unknown-id-1'] });
    expect(read.json).to.deep.equal({ updated: 1, missing: ['unknown-id-1'] });
    expect((await inbox(b, '?unread=true')).some((m) => m.id === m1.json.id)).to.equal(false);
    const one = await api<Inbound>(b, 'GET', `/api/messages/${m1.json.id}`);
    expect(one.json.read_at).to.be.a('number');

    expect((await api(b, 'DELETE', `/api/messages/${m1.json.id}`)).status).to.equal(204);
    expect((await api(b, 'DELETE', `/api/messages/${m1.json.id}`)).status).to.equal(404);
    expect(await inbox(b, `?since=${t0}`)).to.deep.equal([]);
    // The deleted message's id is remembered: a late duplicate is acknowledged, not stored again.
    const replay = await a.peers.request(b.id, 'POST', '/message', wire(1));
    expect(replay.body).to.deep.include({ status: 'duplicate' });
    await api(b, 'POST', '/api/messages/delete', { ids: [wire(1).id] });
    const again = await a.peers.request(b.id, 'POST', '/message', wire(1));
    expect(again.body).to.deep.include({ status: 'duplicate' });
    expect((await inbox(b)).some((m) => m.id === wire(1).id)).to.equal(false);
  });
});
