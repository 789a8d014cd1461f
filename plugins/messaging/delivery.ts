import type { Clock, EventBus, PeerClient, PluginLogger } from '@openred/plugin-sdk';
import { backoffDelay } from './backoff.js';
import type { MessagingConfig } from './config.js';
import type { Outbox, OutboxEntry } from './outbox.js';

/** Payloads of the events the module emits on `ctx.events`. */
export interface MessageDeliveredEvent {
  id: string;
  to: string;
  seq: number;
  delivered_at: number;
}

export interface MessageFailedEvent {
  id: string;
  to: string;
  seq: number;
  error: string;
  failed_at: number;
}

interface PeerState {
  /** Consecutive failed rounds. */
  failures: number;
  /** No new attempt before this (clock time). */
  retryAt: number;
  inflight: Set<OutboxEntry>;
  /** Bumped at each failed round: late failures of requests sent before it do not count twice. */
  round: number;
  /** After a failure, one message at a time probes the peer until one gets through. */
  probing: boolean;
  /** Wait for the next tick (this node was not ready). */
  waitTick: boolean;
}

export interface DeliveryOptions {
  outbox: Outbox;
  peers: PeerClient;
  clock: Clock;
  events: EventBus;
  log: PluginLogger;
  config: MessagingConfig;
  /** Jitter source (tests pin it). */
  random?: () => number;
}

type Outcome = { kind: 'delivered' | 'later' } | { kind: 'permanent' | 'transient'; error: string };

/** Thrown by the peer client for input no retry can fix. */
const PERMANENT_ERRORS = new Set(['OR_ERR_NODE_ID', 'OR_ERR_SELF', 'OR_ERR_VALIDATION']);
/** Answers from the peer that may change later (route not loaded yet, busy, full inbox, 5xx). */
const TRANSIENT_STATUS = new Set([404, 408, 425, 429]);

/**
 * Sends queued messages: up to `window` in flight per peer, in sequence order. A failed round (the peer is
 * offline, unreachable, busy) counts one attempt for every message waiting for that peer and pauses the peer
 * with exponential backoff and jitter; after that one message probes until the peer answers again. Messages
 * fail after `retry.maxAttempts` rounds or `retry.maxAgeMs`, or at once when the peer refuses them (4xx).
 *
 * Time decisions use the plugin clock; a real-time tick (`tickMs`) only decides how often they are checked.
 */
export class Delivery {
  readonly #o: DeliveryOptions;
  readonly #state = new Map<string, PeerState>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #lastPrune = 0;

  constructor(options: DeliveryOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.#o.config.tickMs);
    this.#timer.unref();
  }

  /** Stops starting deliveries (those in flight finish and are recorded). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /** Attempts due deliveries now. */
  kick(peer?: string): void {
    if (this.#stopped) return;
    for (const p of peer ? [peer] : this.#o.outbox.peers()) this.#pump(p);
  }

  /** Lifts the backoff of a peer (or all): the next tick tries at once. */
  retryNow(peer?: string): void {
    for (const [p, s] of this.#state) {
      if (peer && p !== peer) continue;
      s.retryAt = 0;
    }
    this.kick(peer);
  }

  /** Expires old messages, prunes history, and sends what is due. */
  tick(): void {
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    const { maxAgeMs } = this.#o.config.retry;
    for (const s of this.#state.values()) s.waitTick = false;
    for (const peer of this.#o.outbox.peers()) {
      const tooOld = this.#o.outbox
        .queued(peer)
        .filter((e) => now - e.created_at >= maxAgeMs && !this.#state.get(peer)?.inflight.has(e));
      if (tooOld.length > 0) void this.#fail(tooOld, 'OR_ERR_MESSAGE_EXPIRED');
      this.#pump(peer);
    }
    if (now - this.#lastPrune >= 60_000) {
      this.#lastPrune = now;
      this.#o.outbox
        .prune(now, this.#o.config.outboxRetentionMs)
        .catch((err) => this.#o.log.warn({ err: String(err) }, 'outbox prune failed'));
    }
  }

  #peer(peer: string): PeerState {
    let s = this.#state.get(peer);
    if (!s) {
      s = { failures: 0, retryAt: 0, inflight: new Set(), round: 0, probing: false, waitTick: false };
      this.#state.set(peer, s);
    }
    return s;
  }

  #pump(peer: string): void {
    if (this.#stopped) return;
    const s = this.#peer(peer);
    if (s.waitTick || this.#o.clock.now() < s.retryAt) return;
    const limit = s.probing ? 1 : this.#o.config.window;
    for (const entry of this.#o.outbox.queued(peer)) {
      if (s.inflight.size >= limit) break;
      if (entry.state !== 'queued') {
        // Settled by an earlier version of this plugin during a hot reload.
        this.#o.outbox.forget(entry);
        return this.#pump(peer);
      }
      if (s.inflight.has(entry)) continue;
      void this.#send(peer, s, entry);
    }
  }

  async #send(peer: string, s: PeerState, entry: OutboxEntry): Promise<void> {
    s.inflight.add(entry);
    const round = s.round;
    let outcome: Outcome;
    try {
      outcome = await this.#deliver(entry);
    } catch (err) {
      outcome = { kind: 'transient', error: String(err) };
    } finally {
      s.inflight.delete(entry);
    }
    try {
      if (outcome.kind === 'delivered') {
        s.failures = 0;
        s.probing = false;
        const now = this.#o.clock.now();
        const changed = await this.#o.outbox.settle([entry], 'delivered', now);
        for (const e of changed) {
          this.#o.events.emit<MessageDeliveredEvent>('message.delivered', {
            id: e.id,
            to: e.to,
            seq: e.seq,
            delivered_at: now,
          });
        }
      } else if (outcome.kind === 'permanent') {
        await this.#fail([entry], outcome.error);
      } else if (outcome.kind === 'later') {
        s.waitTick = true;
        return;
      } else if (outcome.kind === 'transient' && round === s.round) {
        await this.#failedRound(peer, s, outcome.error);
      }
    } catch (err) {
      this.#o.log.error({ err: String(err), peer }, 'could not record a delivery outcome');
    }
    this.#pump(peer);
  }

  async #deliver(e: OutboxEntry): Promise<Outcome> {
    let res: { status: number; body: unknown };
    try {
      res = await this.#o.peers.request(
        e.to,
        'POST',
        '/message',
        {
          id: e.id,
          stream: e.stream,
          seq: e.seq,
          body: e.body,
          sent_at: e.created_at,
          content_type: e.content_type,
        },
        { timeoutMs: this.#o.config.requestTimeoutMs },
      );
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'OR_ERR_PEER_FAILED';
      // This node is still starting (its tokens are not loaded): not the peer's fault, try at the next tick.
      if (code === 'OR_ERR_NOT_READY') return { kind: 'later' };
      return { kind: PERMANENT_ERRORS.has(code) ? 'permanent' : 'transient', error: code };
    }
    const body = res.body as { status?: string; error?: { code?: string } } | undefined;
    if (res.status === 200 && (body?.status === 'stored' || body?.status === 'duplicate')) {
      return { kind: 'delivered' };
    }
    const error = body?.error?.code ?? `OR_ERR_HTTP_${res.status}`;
    const transient = res.status >= 500 || TRANSIENT_STATUS.has(res.status) || res.status < 400;
    return { kind: transient ? 'transient' : 'permanent', error };
  }

  async #failedRound(peer: string, s: PeerState, error: string): Promise<void> {
    const now = this.#o.clock.now();
    const { retry } = this.#o.config;
    s.round++;
    s.failures++;
    s.probing = true;
    s.retryAt = now + backoffDelay(s.failures, retry, this.#o.random);
    const waiting = [...this.#o.outbox.queued(peer)];
    const exhausted: OutboxEntry[] = [];
    for (const e of waiting) {
      e.attempts++;
      e.last_error = error;
      if (e.attempts >= retry.maxAttempts || now - e.created_at >= retry.maxAgeMs) exhausted.push(e);
    }
    this.#o.log.debug({ peer, error, failures: s.failures, retryAt: s.retryAt }, 'delivery round failed');
    await this.#o.outbox.persist(waiting);
    if (exhausted.length > 0) await this.#fail(exhausted, error);
  }

  async #fail(entries: OutboxEntry[], error: string): Promise<void> {
    const now = this.#o.clock.now();
    const changed = await this.#o.outbox.settle(entries, 'failed', now, error);
    for (const e of changed) {
      this.#o.events.emit<MessageFailedEvent>('message.failed', {
        id: e.id,
        to: e.to,
        seq: e.seq,
        error,
        failed_at: now,
      });
    }
  }
}
