import { expect } from 'chai';
import type { Collection, EventBus, HttpMethod, PeerClient, PeerResponse } from '@openred/plugin-sdk';
import { configSchema, type MessagingConfig } from '../config.js';
import { Delivery } from '../delivery.js';
import { Outbox } from '../outbox.js';
import { MemoryStorage } from './memory-storage.js';

const B = 'or' + 'b'.repeat(32);

/** Storage whose commits wait until the test opens the gate (a slow fsync), then succeed or fail. */
class GatedStorage extends MemoryStorage {
  #open: (() => void) | undefined;
  #gate: Promise<void> = Promise.resolve();

  hold(): void {
    this.#gate = new Promise((r) => (this.#open = r));
  }

  release(): void {
    this.#open?.();
  }

  override async collection<T extends object>(name: string, defaults: T): Promise<Collection<T>> {
    const inner = await super.collection(name, defaults);
    return {
      get data() {
        return inner.data;
      },
      commit: async () => {
        await this.#gate;
        return inner.commit();
      },
      replace: (next: T) => inner.replace(next),
      close: () => inner.close(),
    };
  }
}

class RecordingPeers implements PeerClient {
  readonly sent: unknown[] = [];
  async request<T>(_peer: string, _m: HttpMethod, _path: string, body?: unknown): Promise<PeerResponse<T>> {
    this.sent.push(body);
    return { status: 200, body: { status: 'stored' } as T };
  }
  connect(): never {
    throw new Error('unused');
  }
  sessions() {
    return [];
  }
}

function delivery(outbox: Outbox, peers: PeerClient): Delivery {
  const config: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(configSchema.properties))
    config[k] = (v as { default: unknown }).default;
  const log = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => log };
  const events: EventBus = { on: () => () => undefined, emit: () => undefined };
  return new Delivery({
    outbox,
    peers,
    clock: { now: () => 1_000_000 },
    events,
    log,
    config: config as MessagingConfig,
  });
}

/**
 * A message may travel only once it is on the sender's disk. Sent earlier, a crash before the write
 * completes would reuse its sequence number for the next message (which the receiver then refuses as a
 * conflict, failing an acknowledged message), and a failed write would leave a message delivered that the
 * owner was told was not accepted.
 */
describe('messaging: a message is sent only after it is on disk', () => {
  it('a delivery tick during the write sends nothing; the message goes once the write is done', async () => {
    const storage = new GatedStorage();
    const outbox = await Outbox.open(storage, { shardSize: 10 });
    const peers = new RecordingPeers();
    const d = delivery(outbox, peers);
    storage.hold();
    const adding = outbox.add(B, 'hello', 'text/plain', 1_000_000, 100);
    await new Promise((r) => setTimeout(r, 5));
    d.tick();
    await new Promise((r) => setTimeout(r, 5));
    expect(peers.sent, 'sent before it was durable').to.deep.equal([]);
    storage.release();
    await adding;
    d.tick();
    await new Promise((r) => setTimeout(r, 5));
    expect(peers.sent).to.have.length(1);
    d.stop();
  });

  it('a write that fails leaves nothing sent and answers OR_ERR_OUTBOX_STORAGE', async () => {
    const storage = new GatedStorage();
    const outbox = await Outbox.open(storage, { shardSize: 10 });
    const peers = new RecordingPeers();
    const d = delivery(outbox, peers);
    storage.hold();
    storage.failCommits = true;
    const adding = outbox.add(B, 'hello', 'text/plain', 1_000_000, 100);
    await new Promise((r) => setTimeout(r, 5));
    d.tick();
    storage.release();
    const err = await adding.then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(err?.code).to.equal('OR_ERR_OUTBOX_STORAGE');
    await new Promise((r) => setTimeout(r, 5));
    expect(peers.sent).to.deep.equal([]);
    d.stop();
  });
});
