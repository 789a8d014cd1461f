/**
 * Keeps a node present in its directory: registers at start, re-registers every heartbeat interval, and when
 * the directory is unreachable or refuses, retries with exponential backoff (with jitter, so a community does
 * not stampede a directory that comes back) until a registration succeeds, then resumes the interval.
 * The kernel creates one per node and calls start()/stop() with the node's lifecycle.
 */
import type { Logger } from 'pino';
import { isOpenRedError, RateLimitError } from '../errors.js';
import { systemClock, type Clock } from '../kernel/clock.js';
import type { RegistrationResult } from './protocol.js';

export interface Scheduler {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realScheduler: Scheduler = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface PresenceReporterOptions {
  /** Usually a DirectoryClient. */
  client: { register(): Promise<RegistrationResult> };
  /** Heartbeat period; by default the `heartbeat_seconds` the directory suggests (30 s until it answers). */
  intervalMs?: number;
  /** First retry delay after a failure (default 1 s), doubled per failure up to `maxBackoffMs` (default 60 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
  log?: Logger;
  scheduler?: Scheduler;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  /** Called after every attempt. */
  onChange?: (state: PresenceState) => void;
}

export interface PresenceState {
  /** The last attempt succeeded. */
  registered: boolean;
  lastSuccessAt: number | null;
  lastError: { code: string; message: string } | null;
  /** Failed attempts since the last success. */
  failures: number;
  /** Delay before the next attempt, ms (null when stopped). */
  nextAttemptMs: number | null;
}

export class PresenceReporter {
  readonly #o: PresenceReporterOptions;
  readonly #scheduler: Scheduler;
  readonly #clock: Clock;
  #timer: unknown = null;
  #inflight: Promise<boolean> | null = null;
  #running = false;
  #suggestedMs = 30_000;
  #state: PresenceState = {
    registered: false,
    lastSuccessAt: null,
    lastError: null,
    failures: 0,
    nextAttemptMs: null,
  };

  constructor(options: PresenceReporterOptions) {
    this.#o = options;
    this.#scheduler = options.scheduler ?? realScheduler;
    this.#clock = options.clock ?? systemClock;
  }

  get state(): PresenceState {
    return { ...this.#state };
  }

  /** Registers once (resolves with whether it worked) and keeps heartbeating until stop(). */
  async start(): Promise<boolean> {
    if (this.#running) return this.#state.registered;
    this.#running = true;
    return this.beat();
  }

  /** Registers now (e.g. after the node's capabilities changed) and restarts the schedule from here. */
  async beat(): Promise<boolean> {
    if (this.#inflight) return this.#inflight;
    this.#clearTimer();
    this.#inflight = this.#attempt().finally(() => {
      this.#inflight = null;
    });
    return this.#inflight;
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#clearTimer();
    this.#state.nextAttemptMs = null;
    await this.#inflight?.catch(() => undefined);
  }

  async #attempt(): Promise<boolean> {
    let delay: number;
    try {
      const result = await this.#o.client.register();
      this.#suggestedMs = result.heartbeat_seconds * 1000;
      const recovered = this.#state.failures > 0;
      this.#state = {
        registered: true,
        lastSuccessAt: this.#clock.now(),
        lastError: null,
        failures: 0,
        nextAttemptMs: null,
      };
      if (recovered) this.#o.log?.info('registered with the directory again');
      delay = this.#o.intervalMs ?? this.#suggestedMs;
    } catch (err) {
      const failures = this.#state.failures + 1;
      const code = isOpenRedError(err) ? err.code : 'OR_ERR_INTERNAL';
      const message = (err as Error)?.message ?? String(err);
      this.#state = { ...this.#state, registered: false, lastError: { code, message }, failures };
      const initial = this.#o.initialBackoffMs ?? 1000;
      const max = this.#o.maxBackoffMs ?? 60_000;
      const base = Math.min(max, initial * 2 ** Math.min(failures - 1, 30));
      delay = base / 2 + (base / 2) * (this.#o.random ?? Math.random)();
      if (err instanceof RateLimitError) delay = Math.max(delay, err.retryAfterSeconds * 1000);
      this.#o.log?.warn({ code, failures, retryInMs: Math.round(delay) }, 'directory registration failed');
    }
    if (this.#running) {
      this.#state.nextAttemptMs = delay;
      this.#timer = this.#scheduler.setTimeout(() => {
        this.#timer = null;
        void this.beat();
      }, delay);
    }
    this.#o.onChange?.(this.state);
    return this.#state.registered;
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = null;
  }
}
