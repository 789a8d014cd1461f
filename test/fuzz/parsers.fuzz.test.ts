/**
 * Hostile input against every parser that meets untrusted bytes: connection tokens, transport envelopes
 * (JSON and binary), handshake messages 1 and 2, base64url, canonical JSON, the node configuration and
 * directory options, plugin manifests, audit log lines and token-store entries. Each either accepts the
 * input or throws a coded OpenRed error.
 */
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { AgentCore } from '../../core/crypto/agent/agent-core.js';
import { canonicalJson } from '../../core/crypto/canonical-json.js';
import { CipherRegistry } from '../../core/crypto/ciphers/registry.js';
import { fromB64u } from '../../core/crypto/encoding.js';
import { decodeMethods } from '../../core/crypto/handshake.js';
import { verifyToken } from '../../core/crypto/tokens/verify.js';
import { parseEnvelope } from '../../core/crypto/transport/envelope.js';
import { TransportSession } from '../../core/crypto/transport/transport-session.js';
import { resolveConfig } from '../../core/config/load-config.js';
import { defineConfig } from '../../core/config/define-config.js';
import { resolveDirectoryOptions } from '../../core/directory/options.js';
import { parseManifest } from '../../core/plugins/manifest.js';
import { openText, sealText } from '../../core/tokens/sealed-text.js';
import { parseEnvFile } from '../../core/tokens/env-file.js';
import { openHead, openLine, sealLine } from '../../plugins/monitoring/audit/entry.js';
import { issue, makeDirectory, makeNode, newClock } from '../unit/crypto/helpers.js';
import { damageB64u, junkJson, nastyNumber, nastyString } from './lib/junk.js';
import { mutate, mutated, mutationArb } from './lib/mutate.js';
import { fuzzParser } from './lib/parser-property.js';
import { parserRuns } from './lib/runs.js';
import { flushReport } from './lib/tally.js';

const METHODS = ['aes-256-gcm', 'chacha20-poly1305'];

/** Any JavaScript value a careless caller could pass, not only JSON. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  junkJson,
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
    withBoxedValues: true,
  }),
  fc.constantFrom(undefined, NaN, Infinity, Symbol('x'), () => 1, new Error('x')),
);

/** A valid object with one value replaced by something that is not data (a function, symbol, bigint, Map). */
function withForeignValue<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  const foreign = fc.constantFrom<unknown>(() => 1, Symbol('s'), 10n, new Map([[1, 2]]), new Date(0));
  return fc
    .tuple(valid, mutationArb, foreign)
    .map(([v, m, x]) => mutate(v, [{ ...m, op: 'replace', junk: x }]));
}

/** Bytes: random, or a valid value damaged by truncation, a bit flip or extra bytes. */
function damagedBytes(valid: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.nat().map((i) => valid.subarray(0, i % (valid.length + 1))),
    fc.nat().map((i) => {
      const b = Buffer.from(valid);
      b[i % b.length]! ^= 1 << (i % 8);
      return b;
    }),
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((x) => Buffer.concat([valid, x])),
  );
}

describe('fuzz: parsers', function () {
  this.timeout(0);
  const dir = makeDirectory();
  const A = makeNode();
  const B = makeNode();
  const clock = newClock();
  const agent = (n: typeof A) =>
    new AgentCore({ nodeId: n.id, keys: n, root: randomBytes(32) }, { directoryPublicKey: dir.publicKey });
  const agentA = agent(A);
  const agentB = agent(B);

  afterEach(() => flushReport());
  after(() => flushReport());

  it('connection tokens (verifyToken)', async () => {
    const pairs = await Promise.all(Array.from({ length: 4 }, () => issue(dir, A, B, clock)));
    const genuine = fc.constantFrom(...pairs.map((p) => p.responderToken));
    await fuzzParser(
      'verifyToken',
      fc.oneof(genuine, mutated(genuine), anyValue),
      (t) => verifyToken(t, { directoryPublicKey: dir.publicKey, selfId: B.id, clock }),
      parserRuns(),
    );
  });

  describe('transport envelopes', () => {
    let sa: TransportSession;
    let sb: TransportSession;
    before(async () => {
      const pair = await issue(dir, A, B, clock);
      const i = await agentA.initiatorHandshake({
        token: pair.initiatorToken,
        peerKeys: B.publicKeys,
        methods: METHODS,
        nowMs: clock.now(),
      });
      const r = await agentB.responderHandshake({
        token: pair.responderToken,
        message: i.message,
        initiatorKeys: A.publicKeys,
        methods: METHODS,
        nowMs: clock.now(),
      });
      const keysA = agentA.initiatorFinish({
        handshakeId: i.handshakeId,
        reply: r.reply,
        nowMs: clock.now(),
      });
      const registry = new CipherRegistry();
      sa = new TransportSession(keysA, { registry, clock });
      sb = new TransportSession(r.keys, { registry, clock });
    });

    it('JSON form (parseEnvelope, TransportSession.open)', async () => {
      const valid = fc.uint8Array({ maxLength: 64 }).map((p) => sa.seal(p));
      const inputs = fc.oneof(valid, mutated(valid), anyValue);
      await fuzzParser('parseEnvelope', inputs, (e) => parseEnvelope(e), parserRuns());
      await fuzzParser('TransportSession.open', inputs, (e) => sb.open(e), parserRuns());
    });

    it('binary form (TransportSession.openRaw)', async () => {
      const valid = fc.uint8Array({ maxLength: 64 }).map((p) => sa.sealRaw(p));
      const raw = fc.oneof(
        valid,
        fc.record({
          e: fc.oneof(nastyNumber, fc.constant(Number('99999999999999999999'))) as fc.Arbitrary<number>,
          n: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
          ct: fc.oneof(
            fc.uint8Array({ maxLength: 80 }),
            fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 3 }),
          ) as fc.Arbitrary<Uint8Array>,
        }),
        valid.chain((v) =>
          damagedBytes(Buffer.concat(v.ct instanceof Uint8Array ? [v.ct] : [...v.ct])).map((ct) => ({
            ...v,
            ct,
          })),
        ),
        anyValue as fc.Arbitrary<never>,
      );
      await fuzzParser('TransportSession.openRaw', raw, (r) => sb.openRaw(r), parserRuns());
    });
  });

  it('handshake message 1 (responder) and message 2 (initiator)', async () => {
    const pair = await issue(dir, A, B, clock, '25519_ChaChaPoly_SHA256', 3600);
    const first = await agentA.initiatorHandshake({
      token: pair.initiatorToken,
      peerKeys: B.publicKeys,
      methods: METHODS,
      nowMs: clock.now(),
    });
    await fuzzParser(
      'handshake message 1',
      damagedBytes(first.message),
      (message) =>
        agentB.responderHandshake({
          token: pair.responderToken,
          message,
          initiatorKeys: A.publicKeys,
          methods: METHODS,
          nowMs: clock.now(),
        }),
      Math.ceil(parserRuns() / 2), // each run costs several X25519 operations
    );
    // Message 2 needs a pending initiator state per attempt (a failure destroys it), and a reply to damage.
    const pair2 = await issue(dir, A, B, clock, '25519_ChaChaPoly_SHA256', 3600);
    const i2 = await agentA.initiatorHandshake({
      token: pair2.initiatorToken,
      peerKeys: B.publicKeys,
      methods: METHODS,
      nowMs: clock.now(),
    });
    const r2 = await agentB.responderHandshake({
      token: pair2.responderToken,
      message: i2.message,
      initiatorKeys: A.publicKeys,
      methods: METHODS,
      nowMs: clock.now(),
    });
    agentA.abort(i2.handshakeId);
    await fuzzParser(
      'handshake message 2',
      damagedBytes(r2.reply),
      async (reply) => {
        const i = await agentA.initiatorHandshake({
          token: pair2.initiatorToken,
          peerKeys: B.publicKeys,
          methods: METHODS,
          nowMs: clock.now(),
        });
        try {
          return agentA.initiatorFinish({ handshakeId: i.handshakeId, reply, nowMs: clock.now() });
        } finally {
          agentA.abort(i.handshakeId);
        }
      },
      Math.ceil(parserRuns() / 2),
    );
    await fuzzParser(
      'handshake payload (decodeMethods)',
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
        mutated(fc.constant({ v: 1, methods: METHODS })).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      ),
      (b) => decodeMethods(b),
      parserRuns(),
    );
  });

  it('base64url (fromB64u) and canonical JSON', async () => {
    const b64 = fc.oneof(
      nastyString,
      fc
        .tuple(fc.uint8Array({ maxLength: 64 }), fc.nat())
        .map(([b, i]) => damageB64u(Buffer.from(b).toString('base64url'), i)),
    );
    await fuzzParser(
      'fromB64u',
      fc.tuple(b64, fc.option(fc.nat({ max: 80 }), { nil: undefined })),
      ([s, n]) => fromB64u(s, n),
      parserRuns(),
    );
    const cyclic = fc.constant(null).map(() => {
      const o: Record<string, unknown> = { a: 1 };
      o.self = o;
      return o;
    });
    await fuzzParser('canonicalJson', fc.oneof(anyValue, cyclic), (v) => canonicalJson(v), parserRuns());
  });

  it('node configuration (defineConfig + resolveConfig) and directory options', async () => {
    const valid = fc.constant(
      defineConfig({
        node: { name: 'n', dataDir: '.data/node' },
        server: { p2p: { port: 7700 }, api: { port: 7701 }, limits: { maxBodyBytes: 65536 } },
        directory: { url: 'http://127.0.0.1:7600', publicKey: 'A'.repeat(43) },
        modules: { messaging: { enabled: true } },
        log: { level: 'info' },
      }),
    );
    const env = fc.dictionary(
      fc.constantFrom(
        'OPENRED_PORT',
        'OPENRED_API_PORT',
        'OPENRED_DATA_DIR',
        'OPENRED_DIRECTORY_URL',
        'OPENRED_DIRECTORY_KEY',
        'OPENRED_LOG_LEVEL',
      ),
      nastyString,
      { maxKeys: 3 },
    );
    await fuzzParser(
      'resolveConfig',
      fc.tuple(fc.oneof(valid, mutated(valid), withForeignValue(valid), anyValue), env),
      ([config, e]) => resolveConfig(config as never, tmpdir(), e),
      parserRuns(),
    );
    const options = fc.constant({
      port: 0,
      presence: { activeSeconds: 60 },
      rateLimits: { perAddress: { perSecond: 5, burst: 10 } },
      outbound: { allowedCidrs: ['10.0.0.0/8'] },
    });
    await fuzzParser(
      'resolveDirectoryOptions',
      fc.oneof(options, mutated(options), withForeignValue(options), anyValue),
      (o) => resolveDirectoryOptions(o as never),
      parserRuns(),
    );
  });

  it('plugin manifests (parseManifest)', async () => {
    const valid = fc.constant({
      name: 'openred-plugin-x',
      version: '1.0.0',
      type: 'module',
      openred: { name: 'x', entry: './index.ts' },
    });
    await fuzzParser(
      'parseManifest',
      fc.oneof(valid, mutated(valid), anyValue),
      (m) => parseManifest(m, '/plugins/x'),
      parserRuns(),
    );
  });

  it('audit log lines and token-store entries', async () => {
    const key = randomBytes(32);
    const entry = {
      v: 1 as const,
      seq: 1,
      ts: 1,
      event: 'e',
      source: 'kernel',
      data: {},
      prev: 'p',
      hash: 'h',
      sig: 's',
    };
    const line = sealLine(key, entry);
    const lines = fc.oneof(
      nastyString,
      fc.nat().map((i) => damageB64u(line, i)),
    );
    await fuzzParser('audit openLine', lines, (l) => openLine(key, l), parserRuns());
    await fuzzParser('audit openHead', lines, (l) => openHead(key, l), parserRuns());
    const sealed = sealText(key, 'OPENRED_TOKEN_x', 'name');
    await fuzzParser(
      'token store openText',
      fc.oneof(
        nastyString,
        fc.nat().map((i) => damageB64u(Buffer.from(sealed, 'base64').toString('base64url'), i)),
      ),
      (s) => openText(key, s, 'name'),
      parserRuns(),
    );
    await fuzzParser(
      'token store parseEnvFile',
      fc.string({ unit: 'binary', maxLength: 400 }),
      (t) => parseEnvFile(t),
      parserRuns(),
    );
  });
});
