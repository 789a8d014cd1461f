/**
 * Crypto benchmark: every figure is a ratio to raw node:crypto operations measured in the same run.
 *
 *  - Handshake: a full Noise KKpsk0 handshake, both sides, in one process, against the "ideal" rate obtained by
 *    adding up the cost of its primitive operations (keygens, DHs, key imports, hashes, HKDFs, AEAD calls), each
 *    timed raw. Engine-level handshakes (token verification and HPKE opening included) are reported beside,
 *    inline and through the sandboxed agent.
 *  - Transport: seal+open of an envelope against a raw AEAD seal+open of the same size and algorithm.
 *  - Tokens: issuing a pair (2 HPKE seals + 2 signatures) and verifying+opening one, against their primitives.
 *
 * The machine may be shared and its load may drift during the run, so a ratio is never computed from
 * measurements taken at different times: each round measures the baseline and the code back to back in
 * A-B-B-A order and gives one ratio; the median ratio over the rounds is reported.
 *
 * Run: node --import tsx bench/crypto.bench.ts [handshake] [transport] [tokens]   (or npm run bench -- crypto)
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type CipherGCMTypes,
} from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalBytes } from '../core/crypto/canonical-json.js';
import { CipherRegistry } from '../core/crypto/ciphers/registry.js';
import { toB64u } from '../core/crypto/encoding.js';
import { createCryptoEngine, type CryptoEngine } from '../core/crypto/engine.js';
import { encodeMethods, type SessionKeys } from '../core/crypto/handshake.js';
import { deriveNodeId, generateNodeKeys } from '../core/crypto/identity.js';
import { rawPublicKey } from '../core/crypto/keys.js';
import { HandshakeState } from '../core/crypto/noise/handshake-state.js';
import { dhKeyPairFromKeyObject } from '../core/crypto/noise/primitives.js';
import { issueTokenPair } from '../core/crypto/tokens/issue.js';
import { openToken, verifyToken } from '../core/crypto/tokens/verify.js';
import { TransportSession } from '../core/crypto/transport/transport-session.js';
import { systemClock } from '../core/kernel/clock.js';
import { printTable, rate, verdict, type Row } from './lib/measure.js';

const sections = process.argv.slice(2);
const wanted = (name: string): boolean => sections.length === 0 || sections.includes(name);
const fmt = (n: number): number => Math.round(n);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ops/s of `fn` over `ms`. */
const opsPerSec = async (fn: () => unknown, ms: number): Promise<number> =>
  (await rate('x', fn, ms, 0)).opsPerSec;

/**
 * Median over `rounds` of ours/baseline, each round measured A-B-B-A. `baseline` returns ops/s, so a composite
 * "ideal" built from several timed primitives can serve as one.
 */
async function ratioOf(
  baseline: () => Promise<number>,
  ours: () => unknown,
  rounds: number,
  ms: number,
): Promise<{ ratio: number; base: number; ours: number }> {
  const ratios: number[] = [];
  const bases: number[] = [];
  const oursRates: number[] = [];
  await rate('warm-up', ours, 100, 20);
  await baseline();
  for (let r = 0; r < rounds; r++) {
    const b1 = await baseline();
    const o1 = await opsPerSec(ours, ms / 2);
    const o2 = await opsPerSec(ours, ms / 2);
    const b2 = await baseline();
    ratios.push((o1 + o2) / (b1 + b2));
    bases.push((b1 + b2) / 2);
    oursRates.push((o1 + o2) / 2);
  }
  return { ratio: median(ratios), base: median(bases), ours: median(oursRates) };
}

// ---- raw primitives ------------------------------------------------------------------------------------------
const xa = generateKeyPairSync('x25519');
const xb = generateKeyPairSync('x25519');
const spki = Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), rawPublicKey(xb.publicKey)]);
const ed = generateKeyPairSync('ed25519');
const k32 = randomBytes(32);
const n12 = randomBytes(12);
const small = randomBytes(48);
const edSig = sign(null, small, ed.privateKey);

function rawSeal(algo: string, key: Buffer, nonce: Buffer, pt: Buffer, aad: Buffer): [Buffer, Buffer] {
  const c = createCipheriv(algo as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  const ct = c.update(pt);
  c.final();
  return [ct, c.getAuthTag()];
}
function rawOpen(algo: string, key: Buffer, nonce: Buffer, ct: Buffer, tag: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv(algo as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  d.setAuthTag(tag);
  d.setAAD(aad);
  const pt = d.update(ct);
  d.final();
  return pt;
}
const [smallCt, smallTag] = rawSeal('chacha20-poly1305', k32, n12, small, k32);

const primitiveFns = {
  keygen: () => generateKeyPairSync('x25519'),
  dh: () => diffieHellman({ privateKey: xa.privateKey, publicKey: xb.publicKey }),
  keyImport: () => createPublicKey({ key: spki, format: 'der', type: 'spki' }),
  sha256: () => createHash('sha256').update(k32).update(small).digest(),
  hmac: () => createHmac('sha256', k32).update(small).digest(),
  hkdfSync64: () => hkdfSync('sha256', k32, k32, '', 64),
  aeadSeal: () => rawSeal('chacha20-poly1305', k32, n12, small, k32),
  aeadOpen: () => rawOpen('chacha20-poly1305', k32, n12, smallCt, smallTag, k32),
  edSign: () => sign(null, small, ed.privateKey),
  edVerify: () => verify(null, small, ed.publicKey, edSig),
};
type Prim = Record<keyof typeof primitiveFns, number>;
let prim: Prim;
/** Times every primitive once (short runs); the last result is printed at the end. */
async function primitives(ms = 60): Promise<Prim> {
  const out: Partial<Prim> = {};
  for (const [k, fn] of Object.entries(primitiveFns)) out[k as keyof Prim] = await opsPerSec(fn, ms);
  prim = out as Prim;
  return prim;
}
/** Seconds for a list of [count, ops/s]. */
const cost = (ops: [number, number][]): number => ops.reduce((s, [count, r]) => s + count / r, 0);

// ---- 1. handshake --------------------------------------------------------------------------------------------
const A = generateNodeKeys();
const B = generateNodeKeys();
const sA = dhKeyPairFromKeyObject(A.x25519Private);
const sB = dhKeyPairFromKeyObject(B.x25519Private);
const prologue = canonicalBytes({ grant: 'a canonical grant of realistic size'.repeat(6) });
const psk = randomBytes(32);
const payload = encodeMethods(['aes-256-gcm', 'chacha20-poly1305']);
function noiseHandshake(): void {
  const base = { pattern: 'KKpsk0' as const, suite: '25519_ChaChaPoly_SHA256' as const, prologue, psk };
  const i = new HandshakeState({ ...base, initiator: true, s: sA, rs: sB.publicKey });
  const r = new HandshakeState({ ...base, initiator: false, s: sB, rs: sA.publicKey });
  r.readMessage(i.writeMessage(payload));
  i.readMessage(r.writeMessage(payload));
  i.splitKeys();
  r.splitKeys();
}
// Per full handshake (both sides): 2 ephemeral keygens, 8 DHs (es, ss, ee, se on each side), 4 public-key
// imports (rs and re on each side), 18 SHA-256 (9 per side), 14 two-output and 2 three-output HKDFs (3 and 4
// HMACs; hkdfSync is used instead where faster, which only makes the baseline stricter), 2 AEAD seals and 2
// opens of the method-list payloads.
const idealHandshake = (p: Prim): number =>
  1 /
  cost([
    [2, p.keygen],
    [8, p.dh],
    [4, p.keyImport],
    [18, p.sha256],
    [14, Math.max(p.hmac / 3, p.hkdfSync64)],
    [2, p.hmac / 4],
    [2, p.aeadSeal],
    [2, p.aeadOpen],
  ]);

const work = mkdtempSync(join(tmpdir(), 'openred-bench-'));
const dirKey = generateKeyPairSync('ed25519');
const directoryPublicKey = toB64u(rawPublicKey(dirKey.privateKey));
const scrypt = { N: 1024, r: 8, p: 1, maxmem: 16 * 1024 ** 2 };
const reuse = { consume: () => true }; // the same token pair is replayed on purpose: no single-use check here
async function engines(mode: 'inline' | 'process'): Promise<[CryptoEngine, CryptoEngine]> {
  const mk = (n: string) =>
    createCryptoEngine({
      mode,
      keyDir: join(work, `${mode}-${n}`),
      directoryPublicKey,
      scrypt,
      grantLedger: reuse,
      log: () => undefined,
    });
  const e: [CryptoEngine, CryptoEngine] = [mk('a'), mk('b')];
  await Promise.all(e.map((x) => x.start()));
  return e;
}
async function engineHandshake(ea: CryptoEngine, eb: CryptoEngine): Promise<() => Promise<void>> {
  const pair = await issueTokenPair({
    directoryKey: dirKey.privateKey,
    initiator: { nodeId: ea.nodeId, keys: ea.publicKeys },
    responder: { nodeId: eb.nodeId, keys: eb.publicKeys },
    suite: '25519_ChaChaPoly_SHA256',
    ttlSeconds: 3600,
    epochSeconds: 3600,
    clock: systemClock,
  });
  return async () => {
    const h = await ea.initiatorHandshake(pair.initiatorToken, eb.publicKeys);
    const r = await eb.responderHandshake(pair.responderToken, h.message, ea.publicKeys);
    await ea.initiatorFinish(h.handshakeId, r.reply);
  };
}

if (wanted('handshake')) {
  console.log('measuring handshakes...');
  const noise = await ratioOf(async () => idealHandshake(await primitives()), noiseHandshake, 9, 300);
  const [ia, ib] = await engines('inline');
  const [pa, pb] = await engines('process');
  const inlineHs = await engineHandshake(ia, ib);
  const processHs = await engineHandshake(pa, pb);
  const eng = await ratioOf(() => opsPerSec(inlineHs, 400), processHs, 3, 800);
  const isolation = pa.isolation;
  await Promise.all([ia, ib, pa, pb].map((e) => e.stop()));

  printTable('Handshake (Noise KKpsk0, both sides, one process)', [
    { case: 'ideal from raw primitives', 'ops/s': fmt(noise.base), ratio: '1.00' },
    { case: 'Noise handshake (inline)', 'ops/s': fmt(noise.ours), ratio: verdict(noise.ratio, 0.7) },
    {
      case: 'engine inline (+ token verify/open x2)',
      'ops/s': fmt(eng.base),
      ratio: `${(eng.base / noise.base).toFixed(2)} (reported)`,
    },
    {
      case: `engine process [${isolation}]`,
      'ops/s': fmt(eng.ours),
      ratio: `${(eng.ours / noise.base).toFixed(2)} (${eng.ratio.toFixed(2)} of inline, reported)`,
    },
  ]);
}

// ---- 2. transport --------------------------------------------------------------------------------------------
if (wanted('transport')) {
  console.log('measuring transport...');
  const transportRows: Row[] = [];
  const registry = new CipherRegistry();
  for (const method of ['aes-256-gcm', 'chacha20-poly1305']) {
    const k1 = randomBytes(32);
    const k2 = randomBytes(32);
    const grant = {
      v: 1 as const,
      grant_id: toB64u(randomBytes(16)),
      initiator: deriveNodeId(A.publicKeys),
      responder: deriveNodeId(B.publicKeys),
      issued_at: 0,
      expires_at: 1,
      epoch: 0,
      suite: '25519_ChaChaPoly_SHA256' as const,
    };
    const base = { grant, methods: [method], handshakeHash: randomBytes(32) };
    const ka: SessionKeys = {
      ...base,
      role: 'initiator',
      peerId: grant.responder,
      sendKey: k1,
      receiveKey: k2,
    };
    const kb: SessionKeys = {
      ...base,
      role: 'responder',
      peerId: grant.initiator,
      sendKey: k2,
      receiveKey: k1,
    };
    const sa = new TransportSession(ka, { registry, clock: systemClock });
    const sb = new TransportSession(kb, { registry, clock: systemClock });
    for (const [label, size, target] of [
      ['1 KiB JSON envelope', 1024, 0.5],
      ['1 MiB raw envelope', 1024 * 1024, 0.9],
    ] as const) {
      const pt = randomBytes(size);
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const raw = () => {
        const [ct, tag] = rawSeal(method, key, nonce, pt, Buffer.alloc(0));
        rawOpen(method, key, nonce, ct, tag, Buffer.alloc(0));
      };
      const ours = size > 4096 ? () => sb.openRaw(sa.sealRaw(pt)) : () => sb.open(sa.seal(pt));
      const r = await ratioOf(() => opsPerSec(raw, 60), ours, size > 4096 ? 21 : 9, 120);
      transportRows.push({
        case: `${label} seal+open, ${method}`,
        'raw ops/s': fmt(r.base),
        'ours ops/s': fmt(r.ours),
        'MB/s ours': fmt((r.ours * size) / 1e6),
        ratio: verdict(r.ratio, target),
      });
    }
  }
  printTable('Transport (per envelope: seal on one side, open on the other)', transportRows);
}

// ---- 3. tokens -----------------------------------------------------------------------------------------------
if (wanted('tokens')) {
  console.log('measuring tokens...');
  const nodeA = { nodeId: deriveNodeId(A.publicKeys), keys: A.publicKeys };
  const nodeB = { nodeId: deriveNodeId(B.publicKeys), keys: B.publicKeys };
  const issueOpts = {
    directoryKey: dirKey.privateKey,
    initiator: nodeA,
    responder: nodeB,
    suite: '25519_ChaChaPoly_SHA256' as const,
    ttlSeconds: 3600,
    epochSeconds: 3600,
    clock: systemClock,
  };
  const sample = await issueTokenPair(issueOpts);
  const openOne = async (): Promise<void> => {
    const t = verifyToken(sample.initiatorToken, {
      directoryPublicKey,
      selfId: nodeA.nodeId,
      clock: systemClock,
    });
    (await openToken(t, A.x25519Private)).fill(0);
  };
  // An HPKE single-shot seal is 1 keygen, 1 DH, 1 key import, ~8 HMACs (labeled extract/expand) and 1 AEAD seal;
  // an open is the same without the keygen and with an AEAD open.
  const hpkeSealCost = (p: Prim): number =>
    cost([
      [1, p.keygen],
      [1, p.dh],
      [1, p.keyImport],
      [8, p.hmac],
      [1, p.aeadSeal],
    ]);
  const idealIssue = (p: Prim): number => 1 / (2 * hpkeSealCost(p) + 2 / p.edSign);
  const idealOpen = (p: Prim): number =>
    1 / (hpkeSealCost(p) - 1 / p.keygen + 1 / p.aeadOpen - 1 / p.aeadSeal + 1 / p.edVerify);
  const issued = await ratioOf(
    async () => idealIssue(await primitives()),
    () => issueTokenPair(issueOpts),
    3,
    600,
  );
  const opened = await ratioOf(async () => idealOpen(await primitives()), openOne, 5, 300);
  printTable('Tokens (HPKE through @hpke/core, WebCrypto X25519 + JS ChaCha20-Poly1305)', [
    {
      case: 'issue pair (2 HPKE seals + 2 Ed25519 signatures)',
      'ops/s': fmt(issued.ours),
      'ideal ops/s': fmt(issued.base),
      ratio: `${issued.ratio.toFixed(2)} (reported)`,
    },
    {
      case: 'verify + open one token (Ed25519 verify + HPKE open)',
      'ops/s': fmt(opened.ours),
      'ideal ops/s': fmt(opened.base),
      ratio: `${opened.ratio.toFixed(2)} (reported)`,
    },
  ]);
}

if (prim! !== undefined) {
  printTable('Raw primitives (last round, ops/s)', [
    Object.fromEntries(Object.entries(prim).map(([k, v]) => [k, fmt(v)])) as Row,
  ]);
}
rmSync(work, { recursive: true, force: true });
