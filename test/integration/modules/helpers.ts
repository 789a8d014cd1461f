/**
 * Shared by the module tests: the repository's plugins folder, owner-API calls, and polling that moves the
 * community's ManualClock while it waits (retries are due by the plugin clock, checked on a short real tick).
 */
import { join } from 'node:path';
import type { ManualClock } from '../../../core/kernel/clock.js';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { httpRequest, pollUntil, repoRoot } from '../../helpers/node-harness.js';

export const PLUGINS = join(repoRoot, 'plugins');

export interface ApiResult<T = Record<string, unknown>> {
  status: number;
  json: T;
}

/** Calls a node's owner API with a JSON body. */
export async function api<T = Record<string, unknown>>(
  node: OpenRedNode,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  const r = await httpRequest(node.urls.api! + path, { method, json: body, timeoutMs: 20_000 });
  return { status: r.status, json: r.json as T };
}

/** Polls `probe`, advancing `clock` by `stepMs` between probes, until it returns a value (bounded). */
export function advanceUntil<T>(
  clock: ManualClock,
  stepMs: number,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  return pollUntil(
    async () => {
      const v = await probe();
      if (v === undefined || v === false) clock.advance(stepMs);
      return v;
    },
    { what, timeoutMs, intervalMs: 15 },
  );
}

/**
 * The owner API refuses callers without credentials unless the operator opted out; these tests run on
 * loopback as the owner, so they opt out for the nodes they start (restored afterwards).
 */
export function allowAnonymousOwner(): () => void {
  const previous = process.env.OPENRED_ALLOW_ANONYMOUS_OWNER_API;
  process.env.OPENRED_ALLOW_ANONYMOUS_OWNER_API = '1';
  return () => {
    if (previous === undefined) delete process.env.OPENRED_ALLOW_ANONYMOUS_OWNER_API;
    else process.env.OPENRED_ALLOW_ANONYMOUS_OWNER_API = previous;
  };
}
