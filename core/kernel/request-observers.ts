import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { RequestObserver, RequestObservers } from '@openred/plugin-sdk';
import type { Surface } from '../plugins/route-entry.js';

/**
 * Per-request callbacks for the monitoring module (`kernel.requests`). With no observer the request path pays
 * one property read; with observers, one `close` listener per request and one small object when it ends.
 */
export class RequestObserverSet implements RequestObservers {
  readonly #observers = new Set<RequestObserver>();
  readonly #log: Logger;
  /** The observers as an array, or undefined when there are none (read on every request). */
  active: RequestObserver[] | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  observe(observer: RequestObserver): () => void {
    this.#observers.add(observer);
    this.#refresh();
    return () => {
      this.#observers.delete(observer);
      this.#refresh();
    };
  }

  /** Called by the request context of a surface when a request starts (only when `active` is set). */
  track(surface: Surface, ctx: Context, startedAt: number): void {
    const res = ctx.res;
    res.once('close', () => {
      const observers = this.active;
      if (!observers) return;
      const route = ctx.state.route as { path: string; plugin: string } | undefined;
      const kernelRoute = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const observation = {
        surface,
        method: ctx.method,
        route: route ? route.path : typeof kernelRoute === 'string' ? kernelRoute : unmatched(ctx.path),
        plugin: route?.plugin,
        status: res.statusCode,
        durationMs: performance.now() - startedAt,
        bytesIn: Number(ctx.req.headers['content-length']) || 0,
        bytesOut: Number(res.getHeader('content-length')) || 0,
      };
      for (const observer of observers) {
        try {
          observer(observation);
        } catch (err) {
          this.#log.warn({ err }, 'request observer failed; removed');
          this.#observers.delete(observer);
          this.#refresh();
        }
      }
    });
  }

  #refresh(): void {
    this.active = this.#observers.size === 0 ? undefined : [...this.#observers];
  }
}

function unmatched(path: string): string {
  return path === '/metrics' ? '/metrics' : 'unmatched';
}
