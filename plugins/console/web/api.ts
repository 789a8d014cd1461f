/**
 * Calls to the node's owner API (same origin). The session token lives in sessionStorage: it survives a
 * reload of the tab and goes away with it. A call refused because the session ended logs the console out.
 */
const TOKEN_KEY = 'openred.console.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token: string | null): void {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    listeners.forEach((l) => l(token));
  },
  onChange(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** Codes meaning the owner must log in (again). */
const LOGGED_OUT = new Set([
  'OR_ERR_AUTH_REQUIRED',
  'OR_ERR_SESSION_INVALID',
  'OR_ERR_SESSION_EXPIRED',
  'OR_ERR_SESSION_REVOKED',
]);

export function authHeaders(): Record<string, string> {
  const token = session.token;
  return token ? { authorization: `Bearer ${token}` } : {};
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => undefined)) as
    (T & { error?: { code?: string; message?: string } }) | undefined;
  if (!res.ok) throw failure(res.status, json?.error);
  return json as T;
}

export function failure(status: number, error: { code?: string; message?: string } | undefined): ApiError {
  const e = new ApiError(status, error?.code ?? 'OR_ERR_HTTP', error?.message ?? `HTTP ${status}`);
  if (status === 401 && LOGGED_OUT.has(e.code) && session.token) session.set(null);
  return e;
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}
