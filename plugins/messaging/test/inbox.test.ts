import { expect } from 'chai';
import fc from 'fast-check';
import { Inbox, type IncomingMessage } from '../inbox.js';
import { MemoryStorage } from './memory-storage.js';

const PEER = 'or' + 'a'.repeat(32);
const OTHER = 'or' + 'b'.repeat(32);
const msg = (seq: number, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  id: `message-${seq}`,
  stream: 'stream-01',
  seq,
  body: `body ${seq}`,
  sent_at: 1,
  content_type: 'text/plain',
  ...extra,
});
const all = { limit: 100_000, offset: 0 };

describe('messaging: inbox', () => {
  it('keeps each peer in sequence order whatever the arrival order, across shards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(
          [...Array(60).keys()].map((i) => i + 1),
          { minLength: 60 },
        ),
        async (order) => {
          const inbox = await Inbox.open(new MemoryStorage(), { shardSize: 10, maxInbox: () => 1000 });
          let t = 0;
          for (const seq of order) await inbox.receive(PEER, msg(seq), ++t);
          const { messages } = await inbox.list({ ...all, peer: PEER });
          expect(messages.map((m) => m.seq)).to.deep.equal([...Array(60).keys()].map((i) => i + 1));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('stores each message id once; concurrent duplicates wait for the first write', async () => {
    const storage = new MemoryStorage();
    const inbox = await Inbox.open(storage, { shardSize: 10, maxInbox: () => 1000 });
    const results = await Promise.all([1, 1, 1, 2, 2].map((s) => inbox.receive(PEER, msg(s), 5)));
    expect(results.map((r) => r.status)).to.deep.equal([
      'stored',
      'duplicate',
      'duplicate',
      'stored',
      'duplicate',
    ]);
    expect(inbox.total).to.equal(2);
    // The same id from another peer is another message.
    expect((await inbox.receive(OTHER, msg(1), 6)).status).to.equal('stored');
    expect(inbox.stats()).to.deep.include({ total: 3, unread: 3 });
  });

  it('refuses a different message at a used sequence number', async () => {
    const inbox = await Inbox.open(new MemoryStorage(), { shardSize: 10, maxInbox: () => 1000 });
    await inbox.receive(PEER, msg(3), 1);
    try {
      await inbox.receive(PEER, msg(3, { id: 'another-id' }), 2);
      expect.fail('accepted');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_MESSAGE_SEQ_CONFLICT', status: 409 });
    }
  });

  it('acknowledges nothing it could not write, and forgets it (the sender retries)', async () => {
    const storage = new MemoryStorage();
    const inbox = await Inbox.open(storage, { shardSize: 10, maxInbox: () => 1000 });
    storage.failCommits = true;
    try {
      await inbox.receive(PEER, msg(1), 1);
      expect.fail('acknowledged');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_INBOX_STORAGE', status: 503 });
    }
    expect(inbox.total).to.equal(0);
    storage.failCommits = false;
    expect((await inbox.receive(PEER, msg(1), 2)).status).to.equal('stored');
    const reopened = await Inbox.open(storage.restart(), { shardSize: 10, maxInbox: () => 1000 });
    expect((await reopened.list(all)).messages.map((m) => m.id)).to.deep.equal(['message-1']);
  });

  it('a full inbox asks the sender to come back later', async () => {
    const inbox = await Inbox.open(new MemoryStorage(), { shardSize: 10, maxInbox: () => 2 });
    await inbox.receive(PEER, msg(1), 1);
    await inbox.receive(PEER, msg(2), 1);
    try {
      await inbox.receive(PEER, msg(3), 1);
      expect.fail('stored');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_INBOX_FULL', status: 503 });
    }
    await inbox.delete(['message-1'], undefined);
    expect((await inbox.receive(PEER, msg(3), 1)).status).to.equal('stored');
  });

  it('filters by peer, time and unread; interleaves peers by arrival; pages', async () => {
    const inbox = await Inbox.open(new MemoryStorage(), { shardSize: 10, maxInbox: () => 1000 });
    await inbox.receive(PEER, msg(1), 100);
    await inbox.receive(OTHER, msg(1, { id: 'other-1' }), 150);
    await inbox.receive(PEER, msg(2), 200);
    expect((await inbox.list(all)).messages.map((m) => m.id)).to.deep.equal([
      'message-1',
      'other-1',
      'message-2',
    ]);
    expect((await inbox.list({ ...all, since: 150 })).messages.map((m) => m.id)).to.deep.equal([
      'other-1',
      'message-2',
    ]);
    expect((await inbox.list({ ...all, peer: OTHER })).messages.map((m) => m.id)).to.deep.equal(['other-1']);
    const page = await inbox.list({ limit: 2, offset: 0 });
    expect([page.messages.length, page.more]).to.deep.equal([2, true]);
    expect((await inbox.list({ limit: 2, offset: 2 })).messages.map((m) => m.id)).to.deep.equal([
      'message-2',
    ]);
    await inbox.markRead(['message-1'], PEER, 300);
    expect((await inbox.list({ ...all, unread: true })).messages.map((m) => m.id)).to.deep.equal([
      'other-1',
      'message-2',
    ]);
  });

  it('an id two peers used must be qualified by the peer', async () => {
    const inbox = await Inbox.open(new MemoryStorage(), { shardSize: 10, maxInbox: () => 1000 });
    await inbox.receive(PEER, msg(1), 1);
    await inbox.receive(OTHER, msg(1), 1);
    try {
      await inbox.markRead(['message-1'], undefined, 5);
      expect.fail('guessed');
    } catch (err) {
      expect(err).to.include({ code: 'OR_ERR_AMBIGUOUS_ID' });
    }
    expect(await inbox.markRead(['message-1'], OTHER, 5)).to.deep.equal({
      changed: ['message-1'],
      missing: [],
    });
  });

  it('deleting keeps a tombstone: a late duplicate is still recognised, not stored again', async () => {
    const inbox = await Inbox.open(new MemoryStorage(), { shardSize: 10, maxInbox: () => 1000 });
    await inbox.receive(PEER, msg(1), 1);
    expect(await inbox.delete(['message-1', 'nope-nope'], undefined)).to.deep.equal({
      changed: ['message-1'],
      missing: ['nope-nope'],
    });
    expect((await inbox.receive(PEER, msg(1), 2)).status).to.equal('duplicate');
    expect((await inbox.list(all)).messages).to.deep.equal([]);
    expect(inbox.total).to.equal(0);
  });

  it('writes stay small: one shard and the index per message, however large the inbox', async () => {
    const storage = new MemoryStorage();
    const inbox = await Inbox.open(storage, { shardSize: 100, maxInbox: () => 1e6 });
    for (let seq = 1; seq <= 1000; seq++) await inbox.receive(PEER, msg(seq), seq);
    const sizes = [...storage.persisted]
      .filter(([k]) => k.startsWith('in.'))
      .map(([, v]) => JSON.parse(v).messages.length);
    expect(Math.max(...sizes)).to.be.at.most(100);
    expect(storage.persisted.get('inbox-index')!.length).to.be.below(3000);
  });

  describe('memory stays bounded as the history grows', () => {
    const shardsOpen = (storage: MemoryStorage) =>
      storage.openNames().filter((n) => n.startsWith('in.')).length;

    it('keeps at most openShards idle shards in memory, and finds everything again from disk', async () => {
      const storage = new MemoryStorage();
      const inbox = await Inbox.open(storage, { shardSize: 10, maxInbox: () => 1e6, openShards: 3 });
      let t = 0;
      for (let seq = 1; seq <= 100; seq++) {
        await inbox.receive(PEER, msg(seq), ++t);
        await inbox.receive(OTHER, msg(seq, { id: `other-${seq}` }), ++t);
      }
      expect(shardsOpen(storage)).to.be.at.most(3);
      expect(inbox.openShards).to.be.at.most(3);
      // A late duplicate of a message whose shard was closed long ago is still recognised.
      expect((await inbox.receive(PEER, msg(4), ++t)).status).to.equal('duplicate');
      expect(inbox.total).to.equal(200);
      // By id, across closed shards: the id directory and the shards reopened on demand.
      expect(await inbox.markRead(['message-2', 'other-95', 'missing-1'], undefined, ++t)).to.deep.equal({
        changed: ['message-2', 'other-95'],
        missing: ['missing-1'],
      });
      expect(await inbox.delete(['message-55'], PEER)).to.deep.equal({
        changed: ['message-55'],
        missing: [],
      });
      expect(await inbox.get('other-3')).to.include({ id: 'other-3', from: OTHER, seq: 3 });
      expect(await inbox.get('message-55')).to.equal(undefined);
      const listed = await inbox.list({ ...all, peer: PEER });
      expect(listed.messages.map((m) => m.seq)).to.deep.equal(
        [...Array(100).keys()].map((i) => i + 1).filter((s) => s !== 55),
      );
      expect(shardsOpen(storage)).to.be.at.most(3);
      // Every change reached the disk before its shard was closed.
      const reopened = await Inbox.open(storage.restart(), { shardSize: 10, maxInbox: () => 1e6 });
      expect(reopened.stats()).to.deep.include({ total: 199, unread: 197 });
      expect(await reopened.get('message-2')).to.have.property('read_at', 202);
    });

    it('never closes a shard under a write in progress, even with room for one shard only', async () => {
      const storage = new MemoryStorage();
      const inbox = await Inbox.open(storage, { shardSize: 5, maxInbox: () => 1e6, openShards: 1 });
      const results = await Promise.all(
        [...Array(40).keys()].map((i) => inbox.receive(i % 2 ? PEER : OTHER, msg(i + 1), i)),
      );
      expect(results.every((r) => r.status === 'stored')).to.equal(true);
      expect(shardsOpen(storage)).to.be.at.most(1);
      const reopened = await Inbox.open(storage.restart(), { shardSize: 5, maxInbox: () => 1e6 });
      expect(reopened.total).to.equal(40);
      expect((await reopened.list(all)).messages).to.have.length(40);
    });

    it('closes its shards when retired (plugin unload)', async () => {
      const storage = new MemoryStorage();
      const inbox = await Inbox.open(storage, { shardSize: 5, maxInbox: () => 1e6, openShards: 10 });
      for (let seq = 1; seq <= 30; seq++) await inbox.receive(PEER, msg(seq), seq);
      expect(shardsOpen(storage)).to.equal(7); // seq 1..30 → blocks 0..6
      inbox.retire();
      await new Promise((r) => setImmediate(r));
      expect(shardsOpen(storage)).to.equal(0);
    });
  });
});
