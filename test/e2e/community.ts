/**
 * A small community on real node processes for browser tests: a directory host (D) and two nodes (A, B)
 * whose owner API needs a real login (password + TOTP), all on 127.0.0.1 with temp data folders.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDirectoryKey } from '../../core/crypto/directory-key.js';
import { base32Decode, hotp, timeStep } from '../../plugins/authentication/totp.js';
import { freePort } from '../helpers/free-port.js';
import { httpRequest, pollUntil, repoRoot } from '../helpers/node-harness.js';
import { killAll, startCli, type StartedNode } from '../helpers/process-harness.js';

export const PASSWORD = 'correct horse battery staple';

export interface ConsoleNode {
  name: string;
  started: StartedNode;
  id: string;
  api: string;
  /**
   * Where the browser opens the console: on `localhost`, because WebAuthn needs a host name (an IP address
   * cannot be a relying party id).
   */
  consoleUrl: string;
  dataDir: string;
  /** The TOTP secret from the setup flow. */
  secret: string;
}

export interface Community {
  dir: string;
  a: ConsoleNode;
  b: ConsoleNode;
  stop(): Promise<void>;
}

/** The code of the TOTP step after the current one: the step setup used is spent (replay protection). */
export function nextTotpCode(secret: string, nowMs = Date.now()): string {
  return hotp(base32Decode(secret), timeStep(nowMs, 30) + 1, 'SHA1', 6);
}

export async function startCommunity(): Promise<Community> {
  const dir = await mkdtemp(join(tmpdir(), 'openred-console-'));
  const nodes: StartedNode[] = [];
  try {
    const dirPort = await freePort();
    const configFor = async (
      name: string,
      modules: (apiPort: number) => Record<string, unknown>,
      directory: unknown,
    ) => {
      const file = join(dir, `${name}.config.ts`);
      const apiPort = await freePort();
      const config = {
        node: { name, dataDir: join(dir, name) },
        server: {
          p2p: { host: '127.0.0.1', port: await freePort() },
          api: { host: '127.0.0.1', port: apiPort },
        },
        directory,
        crypto: { isolation: 'inline' },
        plugins: { dirs: [join(repoRoot, 'plugins')], packages: false, hotReload: false },
        modules: modules(apiPort),
        log: { level: 'warn' },
      };
      await writeFile(file, `export default ${JSON.stringify(config, null, 2)};\n`);
      return file;
    };
    const d = await startCli(
      await configFor('d', () => ({ authentication: { enabled: false }, console: { enabled: false } }), {
        embedded: { host: '127.0.0.1', port: dirPort, allowLoopback: true },
      }),
      { timeoutMs: 30_000 },
    );
    nodes.push(d);
    const key = loadOrCreateDirectoryKey(join(dir, 'd', 'directory'));
    const env = {
      OPENRED_ALLOW_ANONYMOUS_OWNER_API: '',
      OPENRED_DIRECTORY_URL: `http://127.0.0.1:${dirPort}`,
      OPENRED_DIRECTORY_KEY: key.publicKey,
    };
    const modules = (apiPort: number) => ({
      authentication: {
        scryptLog2N: 10,
        webauthn: {
          enabled: true,
          rpId: 'localhost',
          rpName: 'OpenRed',
          origins: [`http://localhost:${apiPort}`],
        },
      },
      messaging: { tickMs: 50, retry: { baseMs: 200, maxMs: 800 } },
    });
    const [a, b] = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const started = await startCli(await configFor(name, modules, { embedded: false }), {
          env,
          timeoutMs: 30_000,
        });
        nodes.push(started);
        return started;
      }),
    );
    const community: Community = {
      dir,
      a: await setUpOwner('a', a!, join(dir, 'a')),
      b: await setUpOwner('b', b!, join(dir, 'b')),
      stop: async () => {
        await Promise.all(nodes.map((n) => n.process.stop().catch(() => undefined)));
        await killAll();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return community;
  } catch (err) {
    await killAll();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The setup flow `openred auth setup` runs: the one-time setup code from the node's file, a password, and
 * a TOTP code that proves the authenticator has the secret.
 */
async function setUpOwner(name: string, started: StartedNode, dataDir: string): Promise<ConsoleNode> {
  const codeFile = join(dataDir, 'plugins', 'authentication', 'files', 'setup-code');
  const setupCode = await pollUntil(
    async () => (await readFile(codeFile, 'utf8').catch(() => '')).trim() || undefined,
    { what: `${name}'s setup code`, timeoutMs: 10_000, intervalMs: 50 },
  );
  const api = started.info.api;
  const begun = await httpRequest(`${api}/api/auth/setup`, {
    method: 'POST',
    json: { setup_code: setupCode, password: PASSWORD },
  });
  if (begun.status !== 200) throw new Error(`setup on ${name}: ${begun.status} ${begun.text}`);
  const { enrollment, secret } = begun.json as { enrollment: string; secret: string };
  const code = hotp(base32Decode(secret), timeStep(Date.now(), 30), 'SHA1', 6);
  const confirmed = await httpRequest(`${api}/api/auth/setup/confirm`, {
    method: 'POST',
    json: { enrollment, code },
  });
  if (confirmed.status !== 200)
    throw new Error(`setup confirm on ${name}: ${confirmed.status} ${confirmed.text}`);
  const { token } = confirmed.json as { token: string };
  // Registration with the directory runs in the background after start: the pages list its members.
  await pollUntil(
    async () => {
      const r = await httpRequest(`${api}/api/peers/directory`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((r.json as { nodes?: unknown[] } | undefined)?.nodes?.length ?? 0) >= 3;
    },
    { what: `${name} to see the whole community in the directory`, timeoutMs: 15_000, intervalMs: 200 },
  );
  const consoleUrl = `${api.replace('//127.0.0.1:', '//localhost:')}/api/console`;
  return { name, started, id: started.info.node_id, api, consoleUrl, dataDir, secret };
}
