import { expect } from 'chai';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIRECTORY_KEY_FILE, loadOrCreateDirectoryKey } from '../../../core/crypto/directory-key.js';
import { keyFingerprint } from '../../../core/crypto/identity.js';
import { signEd25519, verifyEd25519 } from '../../../core/crypto/signatures.js';
import { caught, tempDir } from './helpers.js';

describe('crypto/directory-key', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('creates a 0600 key once and loads the same key afterwards', () => {
    const dir = join(t.dir, 'keys');
    const k1 = loadOrCreateDirectoryKey(dir);
    const file = join(dir, DIRECTORY_KEY_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    expect(readdirSync(dir)).to.deep.equal([DIRECTORY_KEY_FILE]); // no temp file left behind
    const k2 = loadOrCreateDirectoryKey(dir);
    expect(k2.publicKey).to.equal(k1.publicKey);
    expect(k1.fingerprint).to.equal(keyFingerprint(k1.publicKey));
    const sig = signEd25519(k2.privateKey, Buffer.from('x')).toString('base64url');
    expect(verifyEd25519(k1.publicKey, Buffer.from('x'), sig)).to.equal(true);
  });

  it('refuses a key file readable by other users', async () => {
    loadOrCreateDirectoryKey(t.dir);
    chmodSync(join(t.dir, DIRECTORY_KEY_FILE), 0o644);
    expect((await caught(() => loadOrCreateDirectoryKey(t.dir))).code).to.equal('OR_ERR_KEY_PERMISSIONS');
  });
});
