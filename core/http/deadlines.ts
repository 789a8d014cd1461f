/**
 * Handler timeouts without a timer per request. Every request of one surface gets the same timeout, so
 * deadlines arrive in the order requests start: they form a FIFO list, and one timer armed for the oldest
 * live deadline serves them all. Starting and finishing a request is a list insert and an unlink, instead of
 * setTimeout + clearTimeout + Promise.race (which showed up among the larger fixed costs of a small request).
 * A request that finishes first just leaves the list; the timer, when it fires, moves on to the next live
 * deadline or stops.
 */

/** One request's deadline: `reject` is called with the queue's timeout error unless it is removed first. */
export interface Deadline {
  readonly at: number;
  reject: ((err: Error) => void) | undefined;
  prev: Deadline | undefined;
  next: Deadline | undefined;
}

export class DeadlineQueue {
  readonly #timeoutMs: number;
  readonly #timeoutError: () => Error;
  #head: Deadline | undefined;
  #tail: Deadline | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number, timeoutError: () => Error) {
    this.#timeoutMs = timeoutMs;
    this.#timeoutError = timeoutError;
  }

  /** A deadline `timeoutMs` after `start` (a performance.now() time). */
  add(start: number, reject: (err: Error) => void): Deadline {
    const d: Deadline = { at: start + this.#timeoutMs, reject, prev: this.#tail, next: undefined };
    if (this.#tail) this.#tail.next = d;
    else this.#head = d;
    this.#tail = d;
    if (this.#timer === undefined) this.#arm(d.at);
    return d;
  }

  /** Takes a deadline out (its request finished). Idempotent. */
  remove(d: Deadline): void {
    if (d.reject === undefined) return;
    d.reject = undefined;
    if (d.prev) d.prev.next = d.next;
    else this.#head = d.next;
    if (d.next) d.next.prev = d.prev;
    else this.#tail = d.prev;
    d.prev = d.next = undefined;
  }

  #arm(at: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(at - performance.now())));
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    // In start order: expire everything due, stop at the first deadline that is not.
    while (this.#head !== undefined && this.#head.at <= now) {
      const d = this.#head;
      const reject = d.reject!;
      this.remove(d);
      reject(this.#timeoutError());
    }
    if (this.#head !== undefined) this.#arm(this.#head.at);
  };
}
