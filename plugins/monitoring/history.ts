import type { RequestObservation } from '@openred/plugin-sdk';

/** One time step of the recent history. */
export interface HistoryPoint {
  /** Start of the step (ms since the epoch, node clock). */
  t: number;
  requests: number;
  /** Answers with a status of 500 or more. */
  errors: number;
  /** Mean and largest request duration in the step (0 without requests). */
  latency_ms: number;
  latency_max_ms: number;
  /** Peer sessions open at the end of the step (for the current step: now). */
  sessions: number;
  bytes_in: number;
  bytes_out: number;
}

export interface HistoryOptions {
  now(): number;
  sessions(): number;
  stepMs: number;
  spanMs: number;
}

/**
 * Event streams (`GET /api/messages/events`) stay open on purpose for many seconds: counted in latency, one
 * of them would outweigh every real request of its step.
 */
const EVENT_STREAM = /\/events$/;

/**
 * Key metrics over the last hour in fixed steps, for charts (`GET /api/monitoring/history`). Prometheus keeps
 * the real time series; this is the small in-memory view a node can show without one. Steps are closed
 * lazily, when a request is observed or the history is read, so no timer runs.
 */
export class MetricsHistory {
  readonly #o: HistoryOptions;
  readonly #closed: HistoryPoint[] = [];
  #current: HistoryPoint;
  #latencySum = 0;
  #timed = 0;

  constructor(options: HistoryOptions) {
    this.#o = options;
    this.#current = this.#empty(this.#stepStart(options.now()));
  }

  readonly observe = (o: RequestObservation): void => {
    this.#roll();
    const c = this.#current;
    c.requests++;
    if (o.status >= 500) c.errors++;
    if (!EVENT_STREAM.test(o.route)) {
      this.#timed++;
      this.#latencySum += o.durationMs;
      c.latency_max_ms = Math.max(c.latency_max_ms, o.durationMs);
    }
    c.bytes_in += o.bytesIn;
    c.bytes_out += o.bytesOut;
  };

  /** The closed steps of the span, oldest first, then the current one. */
  points(): HistoryPoint[] {
    this.#roll();
    return [...this.#closed, this.#snapshot(this.#current)];
  }

  #roll(): void {
    const start = this.#stepStart(this.#o.now());
    if (start <= this.#current.t) return;
    this.#closed.push(this.#snapshot(this.#current));
    // Quiet steps in between are zeros; at most one span of them is kept anyway.
    const oldest = start - this.#o.spanMs;
    for (let t = Math.max(this.#current.t + this.#o.stepMs, oldest); t < start; t += this.#o.stepMs) {
      this.#closed.push(this.#empty(t));
    }
    while (this.#closed.length > 0 && this.#closed[0]!.t < oldest) this.#closed.shift();
    this.#current = this.#empty(start);
    this.#latencySum = 0;
    this.#timed = 0;
  }

  #snapshot(p: HistoryPoint): HistoryPoint {
    return {
      ...p,
      latency_ms: this.#timed > 0 ? this.#latencySum / this.#timed : 0,
      sessions: this.#o.sessions(),
    };
  }

  #empty(t: number): HistoryPoint {
    return {
      t,
      requests: 0,
      errors: 0,
      latency_ms: 0,
      latency_max_ms: 0,
      sessions: this.#o.sessions(),
      bytes_in: 0,
      bytes_out: 0,
    };
  }

  #stepStart(ms: number): number {
    return ms - (ms % this.#o.stepMs);
  }
}
