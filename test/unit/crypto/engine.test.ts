/**
 * The CryptoEngine contract, run once per implementation (inline and process), then what only process mode
 * promises: isolation of the agent, restart on death, timeouts, and no key material in the node process.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server } from 'node:net';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOpenRedError } from '../../../core/errors.js';
import type { ProcessCryptoEngine } from '../../../core/crypto/agent/process-engine.js';
import { bwrapWorks, codeRoot, netnsWorks } from '../../../core/crypto/agent/sandbox.js';
import { CipherRegistry } from '../../../core/crypto/ciphers/registry.js';
import { fromB64u, toB64u } from '../../../core/crypto/encoding.js';
import {
  createCryptoEngine,
  type CryptoEngine,
  type CryptoEngineOptions,
} from '../../../core/crypto/engine.js';
import { MemoryGrantLedger } from '../../../core/crypto/grant-ledger.js';
import { deriveNodeId } from '../../../core/crypto/identity.js';
import { verifyEd25519 } from '../../../core/crypto/signatures.js';
import type { ConnectionToken, NoiseSuite } from '../../../core/crypto/tokens/grant.js';
import { issueTokenPair } from '../../../core/crypto/tokens/issue.js';
import { TransportSession } from '../../../core/crypto/transport/transport-session.js';
import { caught, makeDirectory, newClock, tempDir, TEST_SCRYPT } from './helpers.js';

const dir = makeDirectory();

function factory(mode: 'inline' | 'process', root: string, clock = newClock()) {
  return (name: string, extra: Partial<CryptoEngineOptions> = {}): CryptoEngine =>
    createCryptoEngine({
      mode,
      keyDir: join(root, name),
      directoryPublicKey: dir.publicKey,
      clock,
      scrypt: TEST_SCRYPT,
      log: () => undefined,
      ...extra,
    });
}

async function tokens(
  a: CryptoEngine,
  b: CryptoEngine,
  clock = newClock(),
  suite: NoiseSuite = '25519_ChaChaPoly_SHA256',
  ttl = 300,
) {
  return issueTokenPair({
    directoryKey: dir.privateKey,
    initiator: { nodeId: a.nodeId, keys: a.publicKeys },
    responder: { nodeId: b.nodeId, keys: b.publicKeys },
    suite,
    ttlSeconds: ttl,
    epochSeconds: 3600,
    clock,
  });
}

class RecordingLedger extends MemoryGrantLedger {
  calls: [string, number][] = [];
  override consume(grantId: string, expiresAt: number): boolean {
    this.calls.push([grantId, expiresAt]);
    return super.consume(grantId, expiresAt);
  }
}

function engineSuite(mode: 'inline' | 'process'): void {
  describe(`CryptoEngine contract (${mode})`, function () {
    this.timeout(30_000);
    const clock = newClock();
    const t = tempDir();
    const make = factory(mode, t.dir, clock);
    const ledger = new RecordingLedger(clock);
    let A: CryptoEngine;
    let B: CryptoEngine;
    let C: CryptoEngine;

    before(async () => {
      A = make('a');
      B = make('b', { grantLedger: ledger });
      C = make('c');
      await Promise.all([A.start(), B.start(), C.start()]);
    });
    after(async () => {
      await Promise.all([A?.stop(), B?.stop(), C?.stop()]);
      t.cleanup();
    });

    it('exposes a self-certifying identity and its isolation level', () => {
      expect(A.nodeId).to.equal(deriveNodeId(A.publicKeys));
      expect(A.nodeId).to.not.equal(B.nodeId);
      if (mode === 'inline') expect(A.isolation).to.equal('inline');
      else if (bwrapWorks()) expect(A.isolation).to.equal('bwrap');
      else if (netnsWorks()) expect(A.isolation).to.equal('netns+permission');
    });

    it('signs with the node Ed25519 key', async () => {
      const data = randomBytes(100);
      const sig = await A.sign(data);
      expect(verifyEd25519(A.publicKeys.ed25519, data, toB64u(sig))).to.equal(true);
      expect(verifyEd25519(B.publicKeys.ed25519, data, toB64u(sig))).to.equal(false);
    });

    it('derives stable, label-specific sub-keys and refuses bad labels', async () => {
      const k1 = await A.deriveKey('token-store');
      expect(k1.length).to.equal(32);
      expect((await A.deriveKey('token-store')).equals(k1)).to.equal(true);
      expect((await A.deriveKey('audit-log')).equals(k1)).to.equal(false);
      expect((await B.deriveKey('token-store')).equals(k1)).to.equal(false);
      const err = await caught(() => A.deriveKey('Bad Label'));
      expect(isOpenRedError(err)).to.equal(true);
      expect(err.code).to.equal('OR_ERR_VALIDATION');
    });

    for (const suite of ['25519_ChaChaPoly_SHA256', '25519_AESGCM_SHA256'] as const) {
      it(`runs a full handshake and transport (${suite})`, async () => {
        const pair = await tokens(A, B, clock, suite);
        const { handshakeId, message } = await A.initiatorHandshake(pair.initiatorToken, B.publicKeys);
        const { reply, keys: kb } = await B.responderHandshake(pair.responderToken, message, A.publicKeys);
        const ka = await A.initiatorFinish(handshakeId, reply);
        expect(ka.handshakeHash.equals(kb.handshakeHash)).to.equal(true);
        expect(ka.peerId).to.equal(B.nodeId);
        expect(kb.peerId).to.equal(A.nodeId);
        expect(ka.grant).to.deep.equal(pair.grant);
        const registry = new CipherRegistry();
        const sa = new TransportSession(ka, { registry, clock });
        const sb = new TransportSession(kb, { registry, clock });
        expect(sb.open(sa.seal(Buffer.from('ping'))).toString()).to.equal('ping');
        expect(sa.open(sb.seal(Buffer.from('pong'))).toString()).to.equal('pong');
      });
    }

    it('grants are single-use: a replayed message 1 fails, and garbage does not burn the grant', async () => {
      const pair = await tokens(A, B, clock);
      const { message } = await A.initiatorHandshake(pair.initiatorToken, B.publicKeys);
      const garbage = Buffer.from(message);
      garbage[40]! ^= 1;
      expect(
        (await caught(() => B.responderHandshake(pair.responderToken, garbage, A.publicKeys))).code,
      ).to.equal('OR_ERR_HANDSHAKE');
      expect(ledger.has(pair.grant.grant_id)).to.equal(false);
      await B.responderHandshake(pair.responderToken, message, A.publicKeys);
      expect(ledger.calls.at(-1)).to.deep.equal([pair.grant.grant_id, pair.grant.expires_at]);
      const replay = await caught(() => B.responderHandshake(pair.responderToken, message, A.publicKeys));
      expect(replay.code).to.equal('OR_ERR_GRANT_CONSUMED');
      // A fresh message 1 for the same grant (a second initiator attempt) is refused too.
      const again = await A.initiatorHandshake(pair.initiatorToken, B.publicKeys);
      expect(
        (await caught(() => B.responderHandshake(pair.responderToken, again.message, A.publicKeys))).code,
      ).to.equal('OR_ERR_GRANT_CONSUMED');
      await A.abortHandshake(again.handshakeId);
    });

    it('refuses an expired grant', async () => {
      const old = newClock();
      old.advance(-600_000);
      const pair = await tokens(A, B, old, '25519_ChaChaPoly_SHA256', 60);
      const err = await caught(() => A.initiatorHandshake(pair.initiatorToken, B.publicKeys));
      expect(err.code).to.equal('OR_ERR_TOKEN_EXPIRED');
    });

    it('refuses tampered tokens and tokens of other nodes', async () => {
      const pair = await tokens(A, B, clock);
      const t2 = JSON.parse(JSON.stringify(pair.initiatorToken)) as ConnectionToken;
      t2.grant.expires_at += 1;
      expect((await caught(() => A.initiatorHandshake(t2, B.publicKeys))).code).to.equal(
        'OR_ERR_TOKEN_SIGNATURE',
      );
      expect((await caught(() => C.initiatorHandshake(pair.initiatorToken, B.publicKeys))).code).to.equal(
        'OR_ERR_TOKEN_ROLE',
      );
    });

    it('refuses message 1 presented with keys that are not the grant initiator', async () => {
      const pair = await tokens(A, B, clock);
      const { message, handshakeId } = await A.initiatorHandshake(pair.initiatorToken, B.publicKeys);
      const err = await caught(() => B.responderHandshake(pair.responderToken, message, C.publicKeys));
      expect(err.code).to.equal('OR_ERR_NODE_ID_MISMATCH');
      await A.abortHandshake(handshakeId);
    });

    it('a handshake id is single-use; a bad reply kills it; abort forgets it', async () => {
      expect((await caught(() => A.initiatorFinish('nope', Buffer.alloc(64)))).code).to.equal(
        'OR_ERR_HANDSHAKE_UNKNOWN',
      );
      const pair = await tokens(A, B, clock);
      const { handshakeId, message } = await A.initiatorHandshake(pair.initiatorToken, B.publicKeys);
      const { reply } = await B.responderHandshake(pair.responderToken, message, A.publicKeys);
      const bad = Buffer.from(reply);
      bad[bad.length - 1]! ^= 1;
      expect((await caught(() => A.initiatorFinish(handshakeId, bad))).code).to.equal('OR_ERR_HANDSHAKE');
      expect((await caught(() => A.initiatorFinish(handshakeId, reply))).code).to.equal(
        'OR_ERR_HANDSHAKE_UNKNOWN',
      );
      const p2 = await tokens(A, B, clock);
      const h2 = await A.initiatorHandshake(p2.initiatorToken, B.publicKeys);
      await A.abortHandshake(h2.handshakeId);
      expect((await caught(() => A.initiatorFinish(h2.handshakeId, reply))).code).to.equal(
        'OR_ERR_HANDSHAKE_UNKNOWN',
      );
    });

    it('refuses to start with a wrong passphrase (the error crosses the agent boundary typed)', async () => {
      const ok = make('locked', { passphrase: 'correct horse battery' });
      await ok.start();
      await ok.stop();
      const wrong = make('locked', { passphrase: 'wrong horse battery' });
      const err = await caught(() => wrong.start());
      expect(isOpenRedError(err)).to.equal(true);
      expect(err.code).to.equal('OR_ERR_KEY_UNLOCK');
      await wrong.stop();
    });

    it('keeps its identity and sub-keys across restarts', async () => {
      const id = A.nodeId;
      const k = await A.deriveKey('stable');
      await A.stop();
      expect((await caught(() => A.sign(Buffer.from('x')))).code).to.equal('OR_ERR_AGENT_UNAVAILABLE');
      await A.start();
      expect(A.nodeId).to.equal(id);
      expect((await A.deriveKey('stable')).equals(k)).to.equal(true);
    });
  });
}

engineSuite('inline');
engineSuite('process');

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

describe('CryptoEngine process mode only', function () {
  this.timeout(30_000);
  const t = tempDir();
  const make = factory('process', t.dir);
  after(() => t.cleanup());

  for (const level of ['bwrap', 'netns+permission'] as const) {
    it(`under ${level}, the agent cannot open a TCP connection the node process can`, async function () {
      if (!(level === 'bwrap' ? bwrapWorks() : netnsWorks())) this.skip(); // host lacks user namespaces / bwrap
      const { server, port } = await listen();
      const e = make(`net-${level}`, { isolation: level, allowInlineFallback: false }) as ProcessCryptoEngine;
      try {
        await e.start();
        expect(e.isolation).to.equal(level);
        const control = await new Promise<boolean>((r) => {
          const s = connect(port, '127.0.0.1', () => (s.destroy(), r(true))).on('error', () => r(false));
        });
        expect(control).to.equal(true);
        const d = await e.diagnostics({ connect: { host: '127.0.0.1', port } });
        expect(d.connect).to.match(/^error /);
        expect(d.pid).to.not.equal(process.pid);
        expect(d.interfaces.filter((i) => i !== 'lo')).to.deep.equal([]);
        const out = await e.diagnostics({ connect: { host: '1.1.1.1', port: 443 } });
        expect(out.connect).to.match(/^error /);
      } finally {
        await e.stop();
        server.close();
      }
    });
  }

  it('restarts a killed agent; calls in flight fail fast with OR_ERR_AGENT_UNAVAILABLE', async function () {
    if (!bwrapWorks() && !netnsWorks()) this.skip();
    const e = make('restart') as ProcessCryptoEngine;
    await e.start();
    try {
      const id = e.nodeId;
      const pid = e.agentPid!;
      const started = Date.now();
      const inflight = caught(() => e.diagnostics({ delayMs: 10_000 }));
      await new Promise((r) => setTimeout(r, 50));
      process.kill(pid, 'SIGKILL');
      const err = await inflight;
      expect(err.code).to.equal('OR_ERR_AGENT_UNAVAILABLE');
      expect(Date.now() - started).to.be.below(3_000);
      const sig = await e.sign(Buffer.from('after restart'));
      expect(verifyEd25519(e.publicKeys.ed25519, Buffer.from('after restart'), toB64u(sig))).to.equal(true);
      expect(e.agentPid).to.not.equal(pid);
      expect(e.nodeId).to.equal(id);
    } finally {
      await e.stop();
    }
  });

  it('every call has a timeout', async function () {
    if (!bwrapWorks() && !netnsWorks()) this.skip();
    const e = make('timeout', { callTimeoutMs: 300 }) as ProcessCryptoEngine;
    await e.start();
    try {
      const started = Date.now();
      const err = await caught(() => e.diagnostics({ delayMs: 3_000 }));
      expect(err.code).to.equal('OR_ERR_AGENT_UNAVAILABLE');
      expect(Date.now() - started).to.be.below(1_500);
      expect((await e.sign(Buffer.from('still alive'))).length).to.equal(64);
    } finally {
      await e.stop();
    }
  });

  it('falls back to inline loudly when asked for no sandbox, or fails if the fallback is disabled', async () => {
    const warnings: string[] = [];
    const e = make('fallback', { isolation: 'inline', log: (_l, m) => warnings.push(m) });
    await e.start();
    expect(e.isolation).to.equal('inline');
    expect(warnings.join(' ')).to.match(/WARNING/);
    expect((await e.sign(Buffer.from('x'))).length).to.equal(64);
    await e.stop();
    const strict = make('strict', { isolation: 'inline', allowInlineFallback: false });
    expect((await caught(() => strict.start())).code).to.equal('OR_ERR_AGENT_ISOLATION');
  });

  it('interoperates with an inline engine', async function () {
    if (!bwrapWorks() && !netnsWorks()) this.skip();
    const P = make('interop-p');
    const I = factory('inline', t.dir)('interop-i');
    await Promise.all([P.start(), I.start()]);
    try {
      const pair = await tokens(I, P);
      const h = await I.initiatorHandshake(pair.initiatorToken, P.publicKeys);
      const r = await P.responderHandshake(pair.responderToken, h.message, I.publicKeys);
      const k = await I.initiatorFinish(h.handshakeId, r.reply);
      expect(k.sendKey.equals(r.keys.receiveKey)).to.equal(true);
    } finally {
      await Promise.all([P.stop(), I.stop()]);
    }
  });

  it('the node process needs no read access to the key files (they are only in the agent)', async function () {
    if (!bwrapWorks() && !netnsWorks()) this.skip();
    const flag = process.allowedNodeEnvironmentFlags.has('--permission')
      ? '--permission'
      : '--experimental-permission';
    if (!process.allowedNodeEnvironmentFlags.has(flag)) this.skip();
    const keyDir = join(t.dir, 'no-read');
    const root = codeRoot();
    const fixture = fileURLToPath(new URL('./fixtures/engine-without-key-access.ts', import.meta.url));
    // A node_modules linked from elsewhere must be readable too (only then: extra entries upset Node 20's rules).
    const modules = realpathSync(join(root, 'node_modules'));
    const linkedModules =
      modules.startsWith(root + '/') || modules === join(root, 'node_modules') ? [] : [modules];
    const swap = [...root].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    const r = spawnSync(
      process.execPath,
      [
        flag,
        `--allow-fs-read=${join(root, '*')}`,
        `--allow-fs-read=${swap}`,
        ...linkedModules.map((p) => `--allow-fs-read=${join(p, '*')}`),
        '--allow-fs-read=/usr/*',
        `--allow-fs-write=${join(keyDir, '*')}`,
        '--allow-child-process',
        '--allow-worker',
        '--disable-warning=ExperimentalWarning',
        '--import',
        'tsx',
        fixture,
        keyDir,
        dir.publicKey,
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', TSX_DISABLE_CACHE: '1' },
        encoding: 'utf8',
        timeout: 25_000,
      },
    );
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      denied: boolean;
      isolation: string;
      nodeId: string;
      publicKeys: { x25519: string; ed25519: string };
      sig: string;
      sub: string;
    };
    expect(out.denied).to.equal(true);
    expect(out.isolation).to.not.equal('inline');
    expect(out.nodeId).to.equal(deriveNodeId(out.publicKeys));
    expect(verifyEd25519(out.publicKeys.ed25519, Buffer.from('proof of possession'), out.sig)).to.equal(true);
    expect(fromB64u(out.sub, 32).length).to.equal(32);
    // The same keys, opened here with full access, give the same identity: the agent really used the key folder.
    const check = factory('inline', t.dir)('no-read');
    await check.start();
    expect(check.nodeId).to.equal(out.nodeId);
    expect(toB64u(await check.deriveKey('test-label'))).to.equal(out.sub);
    await check.stop();
  });
});
