import type { Logger } from 'pino';
import { OpenRedError } from '../errors.js';

/** A kernel service with a start/stop lifecycle. */
export interface Service {
  readonly name: string;
  /** Names of services that must be started before this one (and stopped after it). */
  readonly dependsOn?: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts services in dependency order and stops them in reverse. If a start fails, the services already
 * started are stopped (reverse order) and the error is rethrown. Stop never throws: a service that fails to
 * stop is logged and the others still stop.
 */
export class Lifecycle {
  readonly #services = new Map<string, Service>();
  readonly #log: Logger;
  #started: Service[] = [];
  #stopping: Promise<void> | null = null;
  /** Settles when the service being started (if any) has finished starting, successfully or not. */
  #starting: Promise<void> = Promise.resolve();

  constructor(log: Logger) {
    this.#log = log;
  }

  add(service: Service): void {
    if (this.#services.has(service.name)) {
      throw new OpenRedError('OR_ERR_DUPLICATE_SERVICE', `service ${service.name} added twice`);
    }
    this.#services.set(service.name, service);
  }

  /** The start order (dependencies first). Throws on missing dependencies or cycles. */
  order(): Service[] {
    const ordered: Service[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (name: string, path: string[]): void => {
      const service = this.#services.get(name);
      if (!service) {
        throw new OpenRedError('OR_ERR_SERVICE_MISSING', `service ${path.at(-1)} depends on unknown ${name}`);
      }
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') {
        throw new OpenRedError(
          'OR_ERR_SERVICE_CYCLE',
          `service dependency cycle: ${[...path, name].join(' -> ')}`,
        );
      }
      state.set(name, 'visiting');
      for (const dep of service.dependsOn ?? []) visit(dep, [...path, name]);
      state.set(name, 'done');
      ordered.push(service);
    };
    for (const name of this.#services.keys()) visit(name, []);
    return ordered;
  }

  async start(): Promise<void> {
    for (const service of this.order()) {
      // stop() during start (a signal while starting): start nothing more.
      if (this.#stopping) throw stoppedWhileStarting();
      const t0 = performance.now();
      const starting = new Promise<void>((resolve) => resolve(service.start())); // sync throws included
      this.#starting = starting.then(noop, noop);
      try {
        await starting;
      } catch (err) {
        this.#log.error({ err, service: service.name }, 'service failed to start');
        await this.stop();
        throw err;
      }
      this.#started.push(service);
      if (this.#stopping) throw stoppedWhileStarting();
      this.#log.debug({ service: service.name, ms: Math.round(performance.now() - t0) }, 'service started');
    }
  }

  /** Idempotent; concurrent callers share one stop. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    // A service still starting finishes first, so it is stopped too (start() then starts nothing more).
    await this.#starting;
    for (let service = this.#started.pop(); service; service = this.#started.pop()) {
      await this.#stopOne(service);
    }
  }

  async #stopOne(service: Service): Promise<void> {
    try {
      await service.stop();
      this.#log.debug({ service: service.name }, 'service stopped');
    } catch (err) {
      this.#log.error({ err, service: service.name }, 'service failed to stop');
    }
  }
}

function noop(): void {}

function stoppedWhileStarting(): OpenRedError {
  return new OpenRedError('OR_ERR_STOPPED', 'stopped while starting', 503);
}
