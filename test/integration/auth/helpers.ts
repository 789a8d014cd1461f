/**
 * Owner login for tests: a node running the repository's modules with owner-only enforcement on and a
 * ManualClock (TOTP codes are computed for the node's clock, never the wall clock), and the setup and login
 * calls the CLI makes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../../core/kernel/clock.js';
import type { OpenRedUserConfig } from '../../../core/config/types.js';
import {
  httpRequest,
  repoRoot,
  startNode,
  Workspace,
  type HttpResult,
  type RequestOptions,
  type TestNode,
} from '../../helpers/node-harness.js';
import { base32Decode, hotp, timeStep } from '../../../plugins/authentication/totp.js';

export const PLUGINS = join(repoRoot, 'plugins');
export const PASSWORD = 'correct horse battery staple';

export interface AuthNode {
  ws: Workspace;
  t: TestNode;
  clock: ManualClock;
  /** Owner API call; `token` adds `Authorization: Bearer`. */
  api(method: string, path: string, options?: { json?: unknown; token?: string }): Promise<HttpResult>;
  setupCodeFile: string;
  stop(): Promise<void>;
}

export async function startAuthNode(
  options: { config?: OpenRedUserConfig; ws?: Workspace; clock?: ManualClock } = {},
): Promise<AuthNode> {
  const ws = options.ws ?? (await Workspace.create());
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const t = await startNode(ws, {
    clock,
    anonymousOwnerApi: false,
    config: {
      plugins: { dirs: [PLUGINS], hotReload: false },
      modules: { authentication: { scryptLog2N: 10 } },
      ...options.config,
    },
  });
  return {
    ws,
    t,
    clock,
    setupCodeFile: join(ws.dataDir, 'plugins', 'authentication', 'files', 'setup-code'),
    api: (method, path, o = {}) => {
      const req: RequestOptions = { method, headers: {} };
      if (o.json !== undefined) req.json = o.json;
      if (o.token) req.headers!.authorization = `Bearer ${o.token}`;
      return httpRequest(t.api + path, req);
    },
    stop: async () => {
      await t.stop();
      if (!options.ws) await ws.cleanup();
    },
  };
}

/** The TOTP code for the node's clock, `offsetSteps` 30 s steps away. */
export function codeAt(secret: string, clock: ManualClock, offsetSteps = 0): string {
  return hotp(base32Decode(secret), timeStep(clock.now(), 30) + offsetSteps, 'SHA1', 6);
}

export interface Owner {
  token: string;
  secret: string;
  recoveryCodes: string[];
}

/** Runs setup (setup code from the node's file, password, TOTP confirmation) like `openred auth setup`. */
export async function setupOwner(n: AuthNode, password = PASSWORD): Promise<Owner> {
  const setupCode = (await readFile(n.setupCodeFile, 'utf8')).trim();
  const started = await n.api('POST', '/api/auth/setup', { json: { setup_code: setupCode, password } });
  if (started.status !== 200) throw new Error(`setup: ${started.status} ${started.text}`);
  const { enrollment, secret } = started.json as { enrollment: string; secret: string };
  const done = await n.api('POST', '/api/auth/setup/confirm', {
    json: { enrollment, code: codeAt(secret, n.clock) },
  });
  if (done.status !== 200) throw new Error(`confirm: ${done.status} ${done.text}`);
  const body = done.json as { token: string; recovery_codes: string[] };
  return { token: body.token, secret, recoveryCodes: body.recovery_codes };
}

/** Moves to the next TOTP step (a code of the current step was just used) and logs in. */
export async function login(n: AuthNode, owner: Owner): Promise<string> {
  n.clock.advance(30_000);
  const r = await n.api('POST', '/api/auth/login', {
    json: { password: PASSWORD, code: codeAt(owner.secret, n.clock) },
  });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${r.text}`);
  return (r.json as { token: string }).token;
}

export function errorCode(r: HttpResult): string | undefined {
  return (r.json as { error?: { code?: string } } | undefined)?.error?.code;
}
