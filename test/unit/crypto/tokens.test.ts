import { expect } from 'chai';
import { canonicalBytes } from '../../../core/crypto/canonical-json.js';
import { fromB64u, toB64u } from '../../../core/crypto/encoding.js';
import { hpkeSeal } from '../../../core/crypto/hpke.js';
import { signCanonical } from '../../../core/crypto/signatures.js';
import { signedTokenBody, tokenInfo, type ConnectionToken } from '../../../core/crypto/tokens/grant.js';
import { issueTokenPair } from '../../../core/crypto/tokens/issue.js';
import { openToken, verifyToken } from '../../../core/crypto/tokens/verify.js';
import { caught, issue, makeDirectory, makeNode, newClock } from './helpers.js';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function flipB64u(s: string): string {
  const b = fromB64u(s);
  b[0]! ^= 1;
  return toB64u(b);
}

describe('crypto/tokens', () => {
  const dir = makeDirectory();
  const a = makeNode();
  const b = makeNode();
  const c = makeNode();
  const clock = newClock();
  const vOpts = (selfId: string) => ({ directoryPublicKey: dir.publicKey, selfId, clock });

  it('issues two different tokens that open to the same 32-byte psk', async () => {
    const { grant, initiatorToken, responderToken } = await issue(dir, a, b, clock);
    expect(grant.grant_id).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(grant.expires_at - grant.issued_at).to.equal(300);
    expect(grant.epoch).to.equal(Math.floor(grant.issued_at / 3600));
    expect(initiatorToken.ct).to.not.equal(responderToken.ct);
    expect(initiatorToken.enc).to.not.equal(responderToken.enc);
    const ti = verifyToken(initiatorToken, vOpts(a.id));
    const tr = verifyToken(responderToken, vOpts(b.id));
    const p1 = await openToken(ti, a.x25519Private);
    const p2 = await openToken(tr, b.x25519Private);
    expect(p1.length).to.equal(32);
    expect(p1.equals(p2)).to.equal(true);
  });

  it('refuses to issue for a node whose id does not match its keys, or to itself', async () => {
    const bad = await caught(() =>
      issueTokenPair({
        directoryKey: dir.privateKey,
        initiator: { nodeId: a.id, keys: b.publicKeys },
        responder: { nodeId: b.id, keys: b.publicKeys },
        suite: '25519_ChaChaPoly_SHA256',
        ttlSeconds: 60,
        epochSeconds: 3600,
        clock,
      }),
    );
    expect(bad.code).to.equal('OR_ERR_NODE_ID_MISMATCH');
    expect((await caught(() => issue(dir, a, a, clock))).code).to.equal('OR_ERR_VALIDATION');
  });

  describe('tampering', () => {
    let tok: ConnectionToken;
    before(async () => (tok = (await issue(dir, a, b, clock)).responderToken));

    const cases: [string, (t: ConnectionToken) => void, string][] = [
      ['v', (t) => ((t as { v: number }).v = 2), 'OR_ERR_TOKEN_MALFORMED'],
      ['extra field', (t) => ((t as unknown as Record<string, unknown>).x = 1), 'OR_ERR_TOKEN_MALFORMED'],
      ['grant.v', (t) => ((t.grant as { v: number }).v = 2), 'OR_ERR_TOKEN_MALFORMED'],
      ['grant.grant_id', (t) => (t.grant.grant_id = flipB64u(t.grant.grant_id)), 'OR_ERR_TOKEN_SIGNATURE'],
      ['grant.initiator', (t) => (t.grant.initiator = c.id), 'OR_ERR_TOKEN_SIGNATURE'],
      ['grant.responder', (t) => (t.grant.responder = c.id), 'OR_ERR_TOKEN_SIGNATURE'],
      ['grant.issued_at', (t) => (t.grant.issued_at -= 1), 'OR_ERR_TOKEN_SIGNATURE'],
      ['grant.expires_at', (t) => (t.grant.expires_at += 3600), 'OR_ERR_TOKEN_SIGNATURE'],
      ['grant.epoch', (t) => (t.grant.epoch += 1), 'OR_ERR_TOKEN_SIGNATURE'],
      ['grant.suite', (t) => (t.grant.suite = '25519_AESGCM_SHA256'), 'OR_ERR_TOKEN_SIGNATURE'],
      ['role', (t) => (t.role = 'initiator'), 'OR_ERR_TOKEN_SIGNATURE'],
      ['enc', (t) => (t.enc = flipB64u(t.enc)), 'OR_ERR_TOKEN_SIGNATURE'],
      ['ct', (t) => (t.ct = flipB64u(t.ct)), 'OR_ERR_TOKEN_SIGNATURE'],
      ['sig', (t) => (t.sig = flipB64u(t.sig)), 'OR_ERR_TOKEN_SIGNATURE'],
      ['ct length', (t) => (t.ct = t.ct.slice(0, -4)), 'OR_ERR_TOKEN_MALFORMED'],
      ['grant.responder not an id', (t) => (t.grant.responder = 'bob'), 'OR_ERR_TOKEN_MALFORMED'],
    ];
    for (const [name, mutate, code] of cases) {
      it(`rejects a token with a modified ${name} (${code})`, async () => {
        const t = clone(tok);
        expect(() => verifyToken(clone(t), vOpts(b.id))).to.not.throw();
        mutate(t);
        expect((await caught(() => verifyToken(t, vOpts(b.id)))).code).to.equal(code);
      });
    }

    it('rejects non-objects', async () => {
      for (const v of [null, 'x', [], 1]) {
        expect((await caught(() => verifyToken(v, vOpts(b.id)))).code).to.equal('OR_ERR_TOKEN_MALFORMED');
      }
    });

    it('a ct tampered with but re-signed still fails to open (the grant is the HPKE aad)', async () => {
      const t = clone(tok);
      t.grant.expires_at += 60;
      t.sig = signCanonical(dir.privateKey, signedTokenBody(t));
      verifyToken(t, vOpts(b.id));
      expect((await caught(() => openToken(t, b.x25519Private))).code).to.equal('OR_ERR_TOKEN_OPEN');
    });
  });

  it('rejects a token signed by another directory', async () => {
    const other = makeDirectory();
    const { responderToken } = await issue(other, a, b, clock);
    expect((await caught(() => verifyToken(responderToken, vOpts(b.id)))).code).to.equal(
      'OR_ERR_TOKEN_SIGNATURE',
    );
  });

  it('rejects a token presented by a node it does not name in its role', async () => {
    const { initiatorToken, responderToken } = await issue(dir, a, b, clock);
    expect((await caught(() => verifyToken(initiatorToken, vOpts(b.id)))).code).to.equal('OR_ERR_TOKEN_ROLE');
    expect((await caught(() => verifyToken(responderToken, vOpts(c.id)))).code).to.equal('OR_ERR_TOKEN_ROLE');
  });

  it('a token cannot be opened with another node key', async () => {
    const { responderToken } = await issue(dir, a, b, clock);
    expect((await caught(() => openToken(responderToken, c.x25519Private))).code).to.equal(
      'OR_ERR_TOKEN_OPEN',
    );
    expect((await caught(() => openToken(responderToken, a.x25519Private))).code).to.equal(
      'OR_ERR_TOKEN_OPEN',
    );
  });

  it('a signed token whose secret was sealed to another node does not open', async () => {
    const { responderToken: t } = await issue(dir, a, b, clock);
    const sealed = await hpkeSeal(
      fromB64u(c.publicKeys.x25519),
      tokenInfo('responder'),
      canonicalBytes(t.grant),
      Buffer.alloc(32, 7),
    );
    const forged = { ...t, enc: toB64u(sealed.enc), ct: toB64u(sealed.ct) };
    forged.sig = signCanonical(dir.privateKey, signedTokenBody(forged));
    verifyToken(forged, vOpts(b.id));
    expect((await caught(() => openToken(forged, b.x25519Private))).code).to.equal('OR_ERR_TOKEN_OPEN');
  });

  it('the HPKE info binds the role: a secret sealed as initiator does not open as responder', async () => {
    const { responderToken: t } = await issue(dir, a, b, clock);
    const sealed = await hpkeSeal(
      fromB64u(b.publicKeys.x25519),
      tokenInfo('initiator'),
      canonicalBytes(t.grant),
      Buffer.alloc(32, 7),
    );
    const forged = { ...t, enc: toB64u(sealed.enc), ct: toB64u(sealed.ct) };
    expect((await caught(() => openToken(forged, b.x25519Private))).code).to.equal('OR_ERR_TOKEN_OPEN');
  });

  it('rejects an expired grant and one issued too far in the future', async () => {
    const local = newClock();
    const { responderToken } = await issue(dir, a, b, local, '25519_ChaChaPoly_SHA256', 60);
    const opts = { directoryPublicKey: dir.publicKey, selfId: b.id, clock: local };
    local.advance(59_000);
    verifyToken(responderToken, opts);
    local.advance(1_000);
    expect((await caught(() => verifyToken(responderToken, opts))).code).to.equal('OR_ERR_TOKEN_EXPIRED');
    local.advance(-60_000 - 61_000);
    expect((await caught(() => verifyToken(responderToken, opts))).code).to.equal('OR_ERR_TOKEN_EXPIRED');
  });
});
