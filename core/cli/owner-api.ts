import { OpenRedError, UpstreamError } from '../errors.js';
import { loadSession } from './credentials.js';

/** Codes of a refused owner session, answered with a hint to log in. */
const LOGIN_CODES = new Set([
  'OR_ERR_AUTH_REQUIRED',
  'OR_ERR_SESSION_INVALID',
  'OR_ERR_SESSION_EXPIRED',
  'OR_ERR_SESSION_REVOKED',
]);

/**
 * Calls a running node's owner API and returns its JSON, or throws its `{error}` as an OpenRedError.
 * `timeoutMs` (default 10 s) is for calls that do real work before answering, e.g. encrypting a shared file.
 * The owner session stored by `openred login` (or OPENRED_TOKEN) is sent as `Authorization: Bearer`.
 */
export async function ownerApi<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  let res: Response;
  const headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  const token = await loadSession(base);
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new UpstreamError(
      `cannot reach the node at ${base} (is it running?)`,
      'OR_ERR_NODE_UNREACHABLE',
      502,
      err,
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new UpstreamError(`unexpected answer from ${base}: ${res.status}`);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } })?.error;
    const code = e?.code ?? `OR_ERR_HTTP_${res.status}`;
    const message = e?.message ?? `HTTP ${res.status}`;
    throw new OpenRedError(
      code,
      LOGIN_CODES.has(code) && !/openred login/.test(message)
        ? `${message} (run \`openred login\`)`
        : message,
      res.status,
    );
  }
  return json as T;
}
