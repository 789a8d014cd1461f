import type { HttpMethod } from '../routes.js';

/** A response from a node's owner API. */
export interface OwnerResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * Calls a node's owner routes (`/api/...`) over real HTTP, as the node's owner. Every owner call of the kit
 * goes through `request`, so a login (when the authentication module asks for one) is added in one place.
 */
export class OwnerClient {
  readonly #base: string;
  #authorization: string | undefined;

  constructor(apiUrl: string) {
    this.#base = apiUrl.replace(/\/$/, '');
  }

  /** Sends an `Authorization` header with every later call (e.g. a bearer token from a login route). */
  authorize(value: string | undefined): void {
    this.#authorization = value;
  }

  /**
   * @param path path after `/api`, e.g. `/hello/notes`.
   * @example
   * const res = await t.owner.request('POST', '/notes', { text: 'hi' });
   */
  async request<T = unknown>(method: HttpMethod, path: string, body?: unknown): Promise<OwnerResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.#authorization) headers.authorization = this.#authorization;
    const res = await fetch(`${this.#base}/api${path.startsWith('/') ? path : `/${path}`}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    else if (!text) parsed = undefined;
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = unknown>(path: string): Promise<OwnerResponse<T>> {
    return this.request<T>('GET', path);
  }
  post<T = unknown>(path: string, body?: unknown): Promise<OwnerResponse<T>> {
    return this.request<T>('POST', path, body);
  }
  put<T = unknown>(path: string, body?: unknown): Promise<OwnerResponse<T>> {
    return this.request<T>('PUT', path, body);
  }
  delete<T = unknown>(path: string): Promise<OwnerResponse<T>> {
    return this.request<T>('DELETE', path);
  }
}
