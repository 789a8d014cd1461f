/**
 * Delivers a connection token to a node: `POST <api_url>/p2p/tokens/receive` with the token as JSON.
 *
 * Short timeout, bounded retries (network errors, timeouts, 5xx, 429) with doubling delays, and never a
 * redirect (a 3xx is a failed delivery: following it would let a node steer the directory anywhere). The URL is
 * checked against the outbound policy before each attempt and the connection resolves names through the
 * policy's lookup, so the address actually dialled is the one that was checked.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { Logger } from 'pino';
import type { ConnectionToken } from '../crypto/tokens/grant.js';
import type { OutboundPolicy } from './outbound-policy.js';

export interface DeliverySettings {
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
}

export const TOKEN_RECEIVE_PATH = '/p2p/tokens/receive';

export function tokenReceiveUrl(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '') + TOKEN_RECEIVE_PATH;
}

type Outcome = 'delivered' | 'retry' | 'give-up';

export class TokenDelivery {
  readonly #policy: OutboundPolicy;
  readonly #settings: DeliverySettings;
  readonly #log: Logger;
  readonly #agent: Agent;

  constructor(policy: OutboundPolicy, settings: DeliverySettings, log: Logger) {
    this.#policy = policy;
    this.#settings = settings;
    this.#log = log;
    this.#agent = new Agent({
      connect: { lookup: policy.lookup as never, timeout: settings.timeoutMs },
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connections: 16,
      keepAliveTimeout: 4000,
    });
  }

  /** True once the node answered 2xx; false after the last attempt failed. Never throws. */
  async deliver(apiUrl: string, token: ConnectionToken): Promise<boolean> {
    const body = JSON.stringify(token);
    for (let attempt = 0; attempt <= this.#settings.retries; attempt++) {
      if (attempt > 0) await sleep(this.#settings.retryDelayMs * 2 ** (attempt - 1));
      const outcome = await this.#attempt(apiUrl, body, attempt);
      if (outcome === 'delivered') return true;
      if (outcome === 'give-up') return false;
    }
    return false;
  }

  async #attempt(apiUrl: string, body: string, attempt: number): Promise<Outcome> {
    let url: string;
    try {
      url = tokenReceiveUrl(this.#policy.checkUrl(apiUrl).href);
    } catch (err) {
      this.#log.warn(
        { apiUrl, code: (err as { code?: string }).code },
        'token delivery refused by outbound policy',
      );
      return 'give-up';
    }
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.#settings.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return 'delivered';
      this.#log.info({ apiUrl, status: res.statusCode, attempt }, 'token delivery answered with an error');
      return res.statusCode >= 500 || res.statusCode === 429 ? 'retry' : 'give-up';
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).name;
      this.#log.info({ apiUrl, code, attempt }, 'token delivery failed');
      return code === 'OR_ERR_API_URL_FORBIDDEN' ? 'give-up' : 'retry';
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}
