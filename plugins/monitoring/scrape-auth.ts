/**
 * Who may read `/metrics`. Prometheus cannot log in, so by default it presents a long-lived bearer token
 * kept in a 0600 file (`authorization: { credentials_file: ... }` in its scrape config); an owner session
 * works too. `/metrics` is outside `/api`, so the kernel's owner guard does not cover it: this does.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errors, OWNER_GUARD_SERVICE, type OwnerGuard, type PluginContext } from '@openred/plugin-sdk';

/** Reads the scrape token file, creating it (0600) on first use; returns the token's SHA-256. */
export async function loadScrapeToken(file: string): Promise<Buffer> {
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    token = 'orm_' + randomBytes(32).toString('base64url');
    const tmp = join(dirname(file), `.metrics-token-${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, token + '\n', { mode: 0o600, flag: 'wx' });
    await rename(tmp, file);
  }
  return sha256(token);
}

export function scrapeAuthorizer(
  ctx: Pick<PluginContext, 'service'>,
  mode: 'token' | 'owner' | 'none',
  tokenHash: Buffer | undefined,
) {
  return async (headers: Record<string, string | string[] | undefined>): Promise<void> => {
    if (mode === 'none') return;
    const header = headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const bearer = value ? /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1] : undefined;
    if (mode === 'token' && bearer && tokenHash && timingSafeEqual(sha256(bearer), tokenHash)) return;
    if (bearer) {
      let guard: OwnerGuard | undefined;
      try {
        guard = ctx.service<OwnerGuard>(OWNER_GUARD_SERVICE);
      } catch {
        guard = undefined;
      }
      if (guard) {
        await guard.authenticate({ headers });
        return;
      }
    }
    throw errors.unauthorized(
      'OR_ERR_METRICS_AUTH',
      mode === 'token'
        ? 'scraping /metrics needs Authorization: Bearer <token from the metrics-token file>'
        : 'scraping /metrics needs an owner session',
    );
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
