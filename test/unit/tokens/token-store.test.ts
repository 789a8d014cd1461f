import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../core/kernel/logger.js';
import type { ConnectionToken } from '../../../core/crypto/tokens/grant.js';
import { TokenStore } from '../../../core/tokens/token-store.js';
import { parseEnvFile } from '../../../core/tokens/env-file.js';

function token(grantId: string, expiresAt = 2_000_000_000): ConnectionToken {
  return {
    v: 1,
    grant: {
      v: 1,
      grant_id: grantId,
      initiator: 'orinitiator',
      responder: 'orresponder',
      issued_at: 1_000,
      expires_at: expiresAt,
      epoch: 1,
      suite: '25519_ChaChaPoly_SHA256',
    },
    role: 'responder',
    enc: 'enc',
    ct: 'ct',
    sig: 'sig',
  } as ConnectionToken;
}

describe('TokenStore', () => {
  let dir: string;
  let file: string;
  const key = randomBytes(32);
  const open = async (k: Uint8Array = key): Promise<TokenStore> => {
    const s = new TokenStore({ file, key: k, log: silentLogger() });
    await s.load();
    return s;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'openred-tokens-'));
    file = join(dir, 'tokens.env');
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('persists tokens in the .env format, encrypted, mode 0600, and reloads them', async () => {
    const a = await open();
    await a.put({ token: token('grant-aaaaaaaa'), receivedAt: 5 });
    const text = await readFile(file, 'utf8');
    expect(text).to.match(/^OPENRED_TOKEN_grant-aaaaaaaa=encrypted:chacha20-poly1305:[A-Za-z0-9+/=]+$/m);
    expect(text).to.not.include('orinitiator'); // grant metadata is sealed too
    expect((await stat(file)).mode & 0o777).to.equal(0o600);
    const b = await open();
    expect(b.get('grant-aaaaaaaa')?.token.grant.initiator).to.equal('orinitiator');
  });

  it('ignores entries that fail authentication (tampered, swapped, wrong key)', async () => {
    const a = await open();
    await a.put({ token: token('grant-aaaaaaaa'), receivedAt: 1 });
    await a.put({ token: token('grant-bbbbbbbb'), receivedAt: 2 });
    const { entries } = parseEnvFile(await readFile(file, 'utf8'));
    // Swap the sealed values: each is bound to its entry name, so both must be rejected.
    const swapped = `OPENRED_TOKEN_grant-aaaaaaaa=encrypted:chacha20-poly1305:${entries[1]!.sealed}\nOPENRED_TOKEN_grant-bbbbbbbb=encrypted:chacha20-poly1305:${entries[0]!.sealed}\n`;
    await writeFile(file, swapped);
    expect((await open()).size).to.equal(0);
    await writeFile(file, `OPENRED_TOKEN_grant-aaaaaaaa=encrypted:chacha20-poly1305:${entries[0]!.sealed}\n`);
    expect((await open()).size).to.equal(1);
    expect((await open(randomBytes(32))).size).to.equal(0);
  });

  it('consumes a grant exactly once', async () => {
    const a = await open();
    await a.put({ token: token('grant-aaaaaaaa'), receivedAt: 1 });
    expect(await a.consume('grant-aaaaaaaa', 10)).to.equal(true);
    expect(await a.consume('grant-aaaaaaaa', 11)).to.equal(false);
    expect((await open()).get('grant-aaaaaaaa')?.consumedAt).to.equal(10);
  });

  it("two stores on one file never lose each other's entries", async () => {
    const a = await open();
    const b = await open();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).put({ token: token(`grant-${String(i).padStart(8, '0')}`), receivedAt: i }),
      ),
    );
    expect((await open()).size).to.equal(20);
  });

  it('only one of two concurrent consumers wins a grant', async () => {
    const a = await open();
    await a.put({ token: token('grant-aaaaaaaa'), receivedAt: 1 });
    const b = await open();
    const results = await Promise.all([a.consume('grant-aaaaaaaa', 1), b.consume('grant-aaaaaaaa', 2)]);
    expect(results.filter(Boolean)).to.have.length(1);
  });

  it('removes expired tokens', async () => {
    const a = await open();
    await a.put({ token: token('grant-aaaaaaaa', 100), receivedAt: 1 });
    await a.put({ token: token('grant-bbbbbbbb', 300), receivedAt: 1 });
    expect(await a.removeExpired(200)).to.equal(1);
    expect((await open()).list().map((t) => t.token.grant.grant_id)).to.deep.equal(['grant-bbbbbbbb']);
  });

  it('sees changes made by another process (sync)', async () => {
    const a = await open();
    a.startSync();
    try {
      const b = await open();
      await b.put({ token: token('grant-cccccccc'), receivedAt: 1 });
      for (let i = 0; i < 100 && !a.get('grant-cccccccc'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(a.get('grant-cccccccc')).to.not.equal(undefined);
    } finally {
      a.stopSync();
    }
  });
});
