import { expect } from 'chai';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toB64u } from '../../../core/crypto/encoding.js';
import { deriveNodeId } from '../../../core/crypto/identity.js';
import {
  DEFAULT_SCRYPT,
  loadOrCreateNodeKeys,
  NODE_KEYS_FILE,
  NODE_SECRET_FILE,
} from '../../../core/crypto/key-store.js';
import { rawPrivateKey } from '../../../core/crypto/keys.js';
import { caught, tempDir, TEST_SCRYPT } from './helpers.js';

describe('crypto/key-store', () => {
  let t: ReturnType<typeof tempDir>;
  beforeEach(() => (t = tempDir()));
  afterEach(() => t.cleanup());

  it('production default is scrypt N >= 2^15, r = 8, p = 1 with an explicit maxmem', () => {
    expect(DEFAULT_SCRYPT.N).to.be.at.least(2 ** 15);
    expect(DEFAULT_SCRYPT.r).to.equal(8);
    expect(DEFAULT_SCRYPT.p).to.equal(1);
    expect(DEFAULT_SCRYPT.maxmem).to.be.at.least(128 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r);
  });

  it('creates 0600 files (0700 folder) with a node secret and reloads the same keys', async () => {
    const dir = join(t.dir, 'keys');
    const k1 = await loadOrCreateNodeKeys({ dir, scrypt: TEST_SCRYPT });
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    expect(statSync(join(dir, NODE_KEYS_FILE)).mode & 0o777).to.equal(0o600);
    expect(statSync(join(dir, NODE_SECRET_FILE)).mode & 0o777).to.equal(0o600);
    expect(k1.nodeId).to.equal(deriveNodeId(k1.keys.publicKeys));
    const k2 = await loadOrCreateNodeKeys({ dir, scrypt: TEST_SCRYPT });
    expect(k2.nodeId).to.equal(k1.nodeId);
    expect(k2.root.equals(k1.root)).to.equal(true);
    expect(rawPrivateKey(k2.keys.ed25519Private).equals(rawPrivateKey(k1.keys.ed25519Private))).to.equal(
      true,
    );
  });

  it('records the scrypt parameters and keeps private keys out of the file in clear', async () => {
    const k = await loadOrCreateNodeKeys({
      dir: t.dir,
      passphrase: 'correct horse battery',
      scrypt: TEST_SCRYPT,
    });
    const text = readFileSync(join(t.dir, NODE_KEYS_FILE), 'utf8');
    const f = JSON.parse(text);
    expect(f.kdf).to.include({ alg: 'scrypt', N: 1024, r: 8, p: 1, maxmem: TEST_SCRYPT.maxmem });
    for (const priv of [k.keys.x25519Private, k.keys.ed25519Private]) {
      const raw = rawPrivateKey(priv);
      expect(text).to.not.include(toB64u(raw));
      expect(text).to.not.include(raw.toString('hex'));
      expect(text).to.not.include(raw.toString('base64'));
    }
  });

  it('a wrong passphrase does not unlock', async () => {
    await loadOrCreateNodeKeys({ dir: t.dir, passphrase: 'correct horse battery', scrypt: TEST_SCRYPT });
    const err = await caught(() =>
      loadOrCreateNodeKeys({ dir: t.dir, passphrase: 'wrong horse battery', scrypt: TEST_SCRYPT }),
    );
    expect(err.code).to.equal('OR_ERR_KEY_UNLOCK');
  });

  it('an edited header (parameters or public keys) makes unlocking fail', async () => {
    const opts = { dir: t.dir, passphrase: 'correct horse battery', scrypt: TEST_SCRYPT };
    await loadOrCreateNodeKeys(opts);
    const file = join(t.dir, NODE_KEYS_FILE);
    const orig = readFileSync(file, 'utf8');
    const f = JSON.parse(orig);
    f.kdf.p = 2;
    writeFileSync(file, JSON.stringify(f));
    expect((await caught(() => loadOrCreateNodeKeys(opts))).code).to.equal('OR_ERR_KEY_UNLOCK');
    const g = JSON.parse(orig);
    g.nonce = toB64u(Buffer.alloc(12, 1));
    writeFileSync(file, JSON.stringify(g));
    expect((await caught(() => loadOrCreateNodeKeys(opts))).code).to.equal('OR_ERR_KEY_UNLOCK');
  });

  it('refuses a file whose scrypt cost is below the configured minimum (downgrade)', async () => {
    await loadOrCreateNodeKeys({ dir: t.dir, passphrase: 'correct horse battery', scrypt: TEST_SCRYPT });
    const stronger = { ...TEST_SCRYPT, N: 2048 };
    const err = await caught(() =>
      loadOrCreateNodeKeys({ dir: t.dir, passphrase: 'correct horse battery', scrypt: stronger }),
    );
    expect(err.code).to.equal('OR_ERR_KEY_FILE');
  });

  it('refuses key files readable by other users', async () => {
    await loadOrCreateNodeKeys({ dir: t.dir, scrypt: TEST_SCRYPT });
    chmodSync(join(t.dir, NODE_SECRET_FILE), 0o640);
    expect((await caught(() => loadOrCreateNodeKeys({ dir: t.dir, scrypt: TEST_SCRYPT }))).code).to.equal(
      'OR_ERR_KEY_PERMISSIONS',
    );
  });
});
