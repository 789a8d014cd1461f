/**
 * The CLI's owner sessions, one per node (keyed by the owner API's origin), in a 0600 file in a 0700
 * folder: `$OPENRED_CREDENTIALS`, else `$XDG_CONFIG_HOME/openred/credentials.json`, else
 * `~/.config/openred/credentials.json`. `OPENRED_TOKEN` overrides the file for scripts.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface StoredSession {
  token: string;
  session_id: string;
  expires_at: number;
}

interface CredentialsFile {
  v: 1;
  nodes: Record<string, StoredSession>;
}

export function credentialsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENRED_CREDENTIALS) return env.OPENRED_CREDENTIALS;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'openred', 'credentials.json');
}

/** The key a node's session is filed under: the origin of its owner API URL. */
export function nodeKey(api: string): string {
  return new URL(api).origin;
}

async function readAll(file: string): Promise<CredentialsFile> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as CredentialsFile;
    if (parsed && typeof parsed.nodes === 'object' && parsed.nodes !== null) return parsed;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
  }
  return { v: 1, nodes: {} };
}

async function writeAll(file: string, data: CredentialsFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(file), `.credentials-${randomBytes(6).toString('hex')}`);
  await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** The session token to send to `api`: OPENRED_TOKEN, else the stored one (the node judges its expiry). */
export async function loadSession(
  api: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (env.OPENRED_TOKEN) return env.OPENRED_TOKEN;
  return (await readAll(credentialsPath(env))).nodes[nodeKey(api)]?.token;
}

export async function saveSession(api: string, session: StoredSession, env: NodeJS.ProcessEnv = process.env) {
  const file = credentialsPath(env);
  const all = await readAll(file);
  all.nodes[nodeKey(api)] = session;
  await writeAll(file, all);
  return file;
}

/** Forgets the session stored for `api`; true if there was one. */
export async function removeSession(api: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const file = credentialsPath(env);
  const all = await readAll(file);
  const key = nodeKey(api);
  if (!(key in all.nodes)) return false;
  delete all.nodes[key];
  if (Object.keys(all.nodes).length === 0) await rm(file, { force: true });
  else await writeAll(file, all);
  return true;
}
