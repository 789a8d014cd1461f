/**
 * Owner-API calls of the system tests: JSON in, `{status, json}` out, always bounded by a timeout so a node
 * that stopped answering fails the test instead of hanging it.
 */
import { httpRequest } from '../../helpers/node-harness.js';

export interface ApiAnswer<T> {
  status: number;
  json: T;
}

export interface ApiError {
  error: { code: string; message: string };
}

export async function callApi<T = Record<string, unknown>>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<ApiAnswer<T>> {
  const r = await httpRequest(baseUrl + path, { method, json: body, timeoutMs });
  return { status: r.status, json: r.json as T };
}

/** The error code of an answer, or undefined when it is not an `{error: {code}}` document. */
export function errorCode(json: unknown): string | undefined {
  return (json as Partial<ApiError> | undefined)?.error?.code;
}
