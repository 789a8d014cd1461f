import { expect } from 'chai';
import type { EventBus, HttpMethod, PeerClient, PeerResponse } from '@openred/plugin-sdk';
import { configSchema, type MessagingConfig } from '../config.js';
import { Delivery } from '../delivery.js';
import { Outbox } from '../outbox.js';
import { MemoryStorage } from './memory-storage.js';

const B = 'or' + 'b'.repeat(32);
const C = 'or' + 'c'.repeat(32);

/** A peer client whose answers the test decides, one request at a time. */
class FakePeers implements PeerClient {
  readonly sent: Array<{ peer: string; body: { id: string; seq: number } }> = [];
  answer: (peer: string, body: { seq: number }) => Promise<PeerResponse> | PeerResponse = (_p, b) => ({
    status: 200,
    body: { status: 'stored', seq: b.seq },
  });
  async request<T>(peer: string, _m: HttpMethod, _path: string, body?: unknown): Promise<PeerResponse<T>> {
    this.sent.push({ peer, body: body as { id: string; seq: number } });
    return (await this.answer(peer, body as { seq: number })) as PeerResponse<T>;
  }
  connect(): never {
    throw new Error('unused');
  }
  sessions() {
    return [];
  }
}

const offline = () => {
  throw Object.assign(new Error('cannot connect'), { code: 'OR_ERR_PEER_UNREACHABLE' });
};

function setup(overrides: Partial<MessagingConfig> = {}, storage = new MemoryStorage()) {
  const clock = {
    t: 1_000_000,
    now() {
      return this.t;
    },
  };
  const events: Array<[string, { id: string }]> = [];
  const bus: EventBus = {
    on: () => () => undefined,
    emit: (e, p) => void events.push([e, p as { id: string }]),
  };
  const config = {
    ...defaults(),
    window: 4,
    retry: { baseMs: 1000, maxMs: 8000, maxAttempts: 3, maxAgeMs: 3_600_000 },
    ...overrides,
  } as MessagingConfig;
  const peers = new FakePeers();
  const make = async (s = storage) => {
    const outbox = await Outbox.open(s, { shardSize: 5, openShards: config.openShards });
    const log = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => log };
    const delivery = new Delivery({ outbox, peers, clock, events: bus, log, config, random: () => 0.5 });
    return { outbox, delivery };
  };
  return { clock, events, peers, config, make, storage };
}

function defaults(): MessagingConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(configSchema.properties)) out[k] = (v as { default: unknown }).default;
  return out as MessagingConfig;
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('messaging: outbox and delivery', () => {
  it('delivers in sequence order, a window at a time, and records each outcome', async () => {
    const t = setup();
    const { outbox, delivery } = await t.make();
    for (let i = 0; i < 10; i++) await outbox.add(B, `m${i}`, 'text/plain', t.clock.now(), 100);
    let inflight = 0;
    let most = 0;
    t.peers.answer = async (_p, b) => {
      most = Math.max(most, ++inflight);
      await settle();
      inflight--;
      return { status: 200, body: { status: 'stored', seq: b.seq } };
    };
    delivery.kick();
    for (let i = 0; i < 40 && outbox.queued(B).length > 0; i++) await settle();
    expect(outbox.queued(B)).to.have.length(0);
    expect(most).to.equal(4);
    expect(t.peers.sent.map((s) => s.body.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(t.events.filter(([e]) => e === 'message.delivered')).to.have.length(10);
    const listed = await outbox.list({ limit: 100, offset: 0, state: 'delivered' });
    expect(listed.messages).to.have.length(10);
  });

  it('an offline peer: one failed round counts one attempt for every waiting message, then backoff', async () => {
    const t = setup();
    const { outbox, delivery } = await t.make();
    for (let i = 0; i < 6; i++) await outbox.add(B, `m${i}`, 'text/plain', t.clock.now(), 100);
    t.peers.answer = offline;
    delivery.kick();
    await settle();
    expect(t.peers.sent).to.have.length(4); // the window went out and failed together
    expect(outbox.queued(B).map((e) => e.attempts)).to.deep.equal([1, 1, 1, 1, 1, 1]);
    delivery.tick();
    await settle();
    expect(t.peers.sent).to.have.length(4); // backing off (750 ms with this jitter)
    t.clock.t += 750;
    delivery.tick();
    await settle();
    expect(t.peers.sent).to.have.length(5); // one probe
    expect(outbox.queued(B)[0]!.attempts).to.equal(2);
    t.clock.t += 1500;
    delivery.tick();
    await settle();
    // Third failed round: maxAttempts reached, all fail together, in order, with the last error.
    const failed = await outbox.list({ limit: 100, offset: 0, state: 'failed' });
    expect(failed.messages.map((m) => [m.seq, m.last_error])).to.deep.equal(
      [6, 5, 4, 3, 2, 1].map((s) => [s, 'OR_ERR_PEER_UNREACHABLE']),
    );
    expect(t.events.filter(([e]) => e === 'message.failed')).to.have.length(6);
  });

  it('the peer coming back ends the backoff: one probe, then the whole window again', async () => {
    const t = setup();
    const { outbox, delivery } = await t.make();
    for (let i = 0; i < 8; i++) await outbox.add(B, `m${i}`, 'text/plain', t.clock.now(), 100);
    t.peers.answer = offline;
    delivery.kick();
    await settle();
    t.peers.answer = (_p, b) => ({ status: 200, body: { status: 'duplicate', seq: b.seq } });
    delivery.retryNow(B);
    for (let i = 0; i < 20 && outbox.queued(B).length > 0; i++) await settle();
    expect(outbox.queued(B)).to.deep.equal([]);
  });

  it('a refusal (4xx) fails that message at once; 5xx and 404 are retried', async () => {
    const t = setup();
    const { outbox, delivery } = await t.make();
    await outbox.add(B, 'too big', 'text/plain', t.clock.now(), 100);
    await outbox.add(C, 'later', 'text/plain', t.clock.now(), 100);
    t.peers.answer = (peer) =>
      peer === B
        ? { status: 413, body: { error: { code: 'OR_ERR_MESSAGE_TOO_LARGE', message: 'no' } } }
        : { status: 503, body: { error: { code: 'OR_ERR_INBOX_FULL', message: 'later' } } };
    delivery.kick();
    await settle();
    const failed = await outbox.list({ limit: 10, offset: 0, state: 'failed' });
    expect(failed.messages.map((m) => [m.to, m.last_error, m.attempts])).to.deep.equal([
      [B, 'OR_ERR_MESSAGE_TOO_LARGE', 0],
    ]);
    expect(outbox.queued(C)[0]).to.include({ attempts: 1, last_error: 'OR_ERR_INBOX_FULL' });
  });

  it('messages older than maxAgeMs fail even if never attempted', async () => {
    const t = setup({ retry: { baseMs: 1000, maxMs: 8000, maxAttempts: 100, maxAgeMs: 10_000 } });
    const { outbox, delivery } = await t.make();
    t.peers.answer = offline;
    await outbox.add(B, 'old', 'text/plain', t.clock.now(), 100);
    t.clock.t += 10_000;
    delivery.tick();
    await settle();
    const failed = await outbox.list({ limit: 10, offset: 0, state: 'failed' });
    expect(failed.messages[0]).to.include({ last_error: 'OR_ERR_MESSAGE_EXPIRED' });
  });

  it('after a restart, queued messages are sent again with the same id and sequence number', async () => {
    const t = setup();
    const first = await t.make();
    const a = await first.outbox.add(B, 'one', 'text/plain', t.clock.now(), 100);
    const b = await first.outbox.add(B, 'two', 'text/plain', t.clock.now(), 100);
    const restarted = t.storage.restart();
    const again = await t.make(restarted);
    expect(again.outbox.queued(B).map((e) => [e.id, e.seq])).to.deep.equal([
      [a.id, 1],
      [b.id, 2],
    ]);
    const c = await again.outbox.add(B, 'three', 'text/plain', t.clock.now(), 100);
    expect([c.seq, c.stream]).to.deep.equal([3, a.stream]);
  });

  it('refuses a message that cannot be stored, and one beyond the per-peer queue limit', async () => {
    const t = setup();
    const { outbox } = await t.make();
    await outbox.add(B, 'one', 'text/plain', t.clock.now(), 1);
    try {
      await outbox.add(B, 'two', 'text/plain', t.clock.now(), 1);
      expect.fail('queued');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_OUTBOX_FULL' });
    }
    t.storage.failCommits = true;
    try {
      await outbox.add(C, 'x', 'text/plain', t.clock.now(), 10);
      expect.fail('queued');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_OUTBOX_STORAGE' });
    }
    expect(outbox.queued(C)).to.deep.equal([]);
  });

  it('settled shards are closed beyond openShards; shards with queued messages stay open', async () => {
    const t = setup({ openShards: 1 });
    const { outbox, delivery } = await t.make();
    const outShards = () => t.storage.openNames().filter((n) => n.startsWith('out.'));
    const sent = [];
    for (let i = 0; i < 20; i++) sent.push(await outbox.add(i % 4 ? B : C, `m${i}`, 'text/plain', 1, 100));
    // n = 1..20 in shards of 5: blocks 0..4, all holding queued messages, so none may be closed.
    expect(outShards()).to.have.length(5);
    t.peers.answer = (peer, b) =>
      peer === C
        ? { status: 400, body: { error: { code: 'OR_ERR_VALIDATION', message: 'no' } } }
        : { status: 200, body: { status: 'stored', seq: b.seq } };
    delivery.kick();
    for (let i = 0; i < 40 && outbox.peers().length > 0; i++) await settle();
    expect(outbox.peers()).to.deep.equal([]);
    // Only the shard being filled is left: settled ones were closed after their last write.
    expect(outShards()).to.deep.equal(['out.4']);
    // A failed message in a closed shard can still be retried; its shard is reopened and kept while queued.
    const failedIds = sent.filter((e) => e.to === C).map((e) => e.id);
    t.peers.answer = (_p, b) => ({ status: 200, body: { status: 'stored', seq: b.seq } });
    const requeued = await outbox.requeue(failedIds, 2);
    expect(requeued.map((e) => e.id)).to.deep.equal(failedIds);
    expect(outShards().length).to.be.greaterThan(1);
    delivery.kick();
    for (let i = 0; i < 40 && outbox.peers().length > 0; i++) await settle();
    expect(outShards()).to.deep.equal(['out.4']);
    const restarted = await Outbox.open(t.storage.restart(), { shardSize: 5 });
    const listed = await restarted.list({ limit: 100, offset: 0 });
    expect(listed.messages.map((m) => m.state)).to.deep.equal(Array(20).fill('delivered'));
  });
});
