import type { Logger } from 'pino';

type Handler = (payload: unknown) => void | Promise<void>;

/**
 * In-process publish/subscribe between kernel services and plugins. Delivery is asynchronous (next
 * microtask) so a slow or failing subscriber never blocks or breaks the emitter; failures are logged.
 */
export class EventBus {
  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  on(event: string, handler: Handler): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.#handlers.delete(event);
    };
  }

  emit(event: string, payload: unknown): void {
    const set = this.#handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      queueMicrotask(() => {
        try {
          const r = handler(payload);
          if (r && typeof (r as Promise<void>).catch === 'function') {
            (r as Promise<void>).catch((err) => this.#log.warn({ err, event }, 'event subscriber failed'));
          }
        } catch (err) {
          this.#log.warn({ err, event }, 'event subscriber failed');
        }
      });
    }
  }

  listenerCount(event: string): number {
    return this.#handlers.get(event)?.size ?? 0;
  }
}
