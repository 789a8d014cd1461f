/** Events recorded from a node's event bus, with a bounded wait for the ones still to come. */
export interface CapturedEvents<T = unknown> {
  /** Payloads received so far, in order. */
  readonly payloads: T[];
  /** Resolves once `count` payloads arrived (default 1); rejects after `timeoutMs` (default 2 s). */
  waitFor(count?: number, timeoutMs?: number): Promise<T[]>;
  /** Stops recording. */
  stop(): void;
}

export function captureEvents<T>(
  bus: { on(event: string, handler: (payload: unknown) => void): () => void },
  event: string,
): CapturedEvents<T> {
  const payloads: T[] = [];
  const waiters = new Set<() => void>();
  const off = bus.on(event, (payload) => {
    payloads.push(payload as T);
    for (const w of [...waiters]) w();
  });
  return {
    payloads,
    stop: off,
    waitFor(count = 1, timeoutMs = 2_000) {
      if (payloads.length >= count) return Promise.resolve(payloads);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`expected ${count} "${event}" event(s) within ${timeoutMs} ms, got ${payloads.length}`),
          );
        }, timeoutMs);
        const check = (): void => {
          if (payloads.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(payloads);
        };
        waiters.add(check);
      });
    },
  };
}
