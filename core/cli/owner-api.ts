import { OpenRedError, UpstreamError } from '../errors.js';

/** Calls a running node's owner API and returns its JSON, or throws its `{error}` as an OpenRedError. */
export async function ownerApi<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
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
    throw new OpenRedError(
      e?.code ?? `OR_ERR_HTTP_${res.status}`,
      e?.message ?? `HTTP ${res.status}`,
      res.status,
    );
  }
  return json as T;
}
