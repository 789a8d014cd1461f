import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { fromB64u, toB64u } from '../../../core/crypto/encoding.js';
import type { CryptoEngine } from '../../../core/crypto/engine.js';
import { generateNodeKeys, deriveNodeId } from '../../../core/crypto/identity.js';
import { issueTokenPair } from '../../../core/crypto/tokens/issue.js';
import { loadOrCreateDirectoryKey } from '../../../core/crypto/directory-key.js';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import type { RawEnvelope } from '../../../core/crypto/transport/transport-session.js';
import {
  binaryRequestAad,
  PREFIX_LENGTH,
  rawResponseAad,
  requestAad,
  SEALED_TYPE,
} from '../../../core/p2p/sessions/wire.js';
import { binaryEnvelope, readBinaryEnvelope } from '../../helpers/binary-envelope.js';
import { startCommunity, type Community } from '../../helpers/community.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOpenRedError } from '../../../core/errors.js';
import { startDirectory } from '../../../core/directory/start.js';
import { silentLogger } from '../../../core/kernel/logger.js';

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as { error?: { code: string } } & Record<string, unknown>,
  };
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('node-to-node sessions (directory + 3 nodes, in process)', function () {
  this.timeout(30_000);
  let c: Community;
  let a: OpenRedNode, b: OpenRedNode, n3: OpenRedNode;

  before(async () => {
    c = await startCommunity({ nodes: 3 });
    [a, b, n3] = c.nodes as [OpenRedNode, OpenRedNode, OpenRedNode];
  });
  after(async () => c?.close());

  it('first contact: connect through the directory, then authenticated requests both ways', async () => {
    const info = await a.peers.connect(b.id);
    expect(info.peer).to.equal(b.id);
    expect(info.role).to.equal('initiator');
    const r = await a.peers.request<{ peer: string; body: unknown }>(b.id, 'POST', '/echo', {
      n: 1,
      text: 'hi',
    });
    expect(r.status).to.equal(200);
    expect(r.body.peer).to.equal(a.id); // the responder sees the authenticated initiator
    expect(r.body.body).to.deep.equal({ n: 1, text: 'hi' });
    const back = await b.peers.request<{ peer: string }>(a.id, 'GET', '/echo/whoami');
    expect(back.body.peer).to.equal(b.id);
    expect(b.peers.sessions().map((s) => s.peer)).to.include(a.id);
  });

  it('concurrent connects to one peer share one handshake', async () => {
    const before = n3.sessions!.size;
    const infos = await Promise.all(Array.from({ length: 8 }, () => a.peers.connect(n3.id)));
    expect(new Set(infos.map((i) => i.establishedAt)).size).to.equal(1);
    expect(n3.sessions!.size).to.equal(before + 1);
  });

  it('byte answers arrive as Buffers through one raw sealed envelope', async () => {
    const r = await a.peers.request<Buffer>(b.id, 'GET', '/echo/bytes/300000');
    expect(r.status).to.equal(200);
    expect(Buffer.isBuffer(r.body)).to.equal(true);
    expect(r.body.length).to.equal(300000);
    expect(r.body.every((v, i) => v === i % 251)).to.equal(true);
    // On the wire it is ciphertext: fetch it raw with a valid envelope and look.
    const session = a.sessions!.current(b.id)!;
    const env = session.transport.seal(Buffer.from('{}'), requestAad('GET', '/p2p/echo/bytes/64'));
    const res = await fetch(`${b.urls.p2p}/p2p/echo/bytes/64`, {
      headers: {
        'openred-session': session.id,
        'openred-envelope': toB64u(Buffer.from(JSON.stringify(env))),
      },
    });
    expect(res.headers.get('openred-sealed')).to.equal('bin');
    const wire = Buffer.from(await res.arrayBuffer());
    expect(wire.length).to.equal(64 + 16);
    expect(wire.subarray(0, 64).equals(Buffer.from(Array.from({ length: 64 }, (_, i) => i)))).to.equal(false);
  });

  it('pre-sealed answers: read into a caller buffer when they fit, and the route learns when its buffer is free', async () => {
    const released = async () =>
      ((await (await fetch(`${b.urls.api}/api/echo/released`)).json()) as { count: number }).count;
    const before = await released();
    const into = Buffer.alloc(200_000);
    const r = await a.peers.request<Buffer>(b.id, 'GET', '/echo/presealed/150000', undefined, { into });
    expect(r.status).to.equal(200);
    expect(r.body.buffer).to.equal(into.buffer); // no fresh buffer for the answer
    expect([r.body.byteOffset, r.body.length]).to.deep.equal([0, 150000]);
    expect(r.body.every((v, i) => v === i % 251)).to.equal(true);
    // Too large for the buffer: read as usual, the buffer untouched.
    const small = Buffer.alloc(1000);
    const big = await a.peers.request<Buffer>(b.id, 'GET', '/echo/presealed/5000', undefined, {
      into: small,
    });
    expect(big.body.buffer).to.not.equal(small.buffer);
    expect(big.body.every((v, i) => v === i % 251)).to.equal(true);
    expect(small.every((v) => v === 0)).to.equal(true);
    await until(async () => (await released()) === before + 2, 'both buffers released');
    // A client that hangs up without reading the answer: the buffer is released too.
    const session = a.sessions!.current(b.id)!;
    const env = session.transport.seal(Buffer.from('{}'), requestAad('GET', '/p2p/echo/presealed/3000000'));
    const url = new URL(`${b.urls.p2p}/p2p/echo/presealed/3000000`);
    const sealedHeader = await new Promise<string | string[] | undefined>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          agent: false,
          headers: {
            'openred-session': session.id,
            'openred-envelope': toB64u(Buffer.from(JSON.stringify(env))),
          },
        },
        (res) => {
          resolve(res.headers['openred-sealed']);
          req.destroy(); // hang up without reading the body
        },
      );
      req.on('error', () => undefined);
      req.on('close', () => reject(new Error('no answer')));
      req.end();
    });
    expect(sealedHeader).to.equal('pre');
    await until(async () => (await released()) === before + 3, 'abandoned buffer released');
  });

  it('plugin errors travel sealed, with their status and code', async () => {
    const r = await a.peers.request<{ error: { code: string } }>(b.id, 'POST', '/echo/fail', {});
    expect(r.status).to.equal(409);
    expect(r.body.error.code).to.equal('OR_ERR_ECHO_CONFLICT');
    const invalid = await a.peers.request<{ error: { code: string } }>(b.id, 'POST', '/echo', { n: 'x' });
    expect(invalid.status).to.equal(400);
    expect(invalid.body.error.code).to.equal('OR_ERR_VALIDATION');
  });

  it('refuses peer routes without a session, with an unknown session, or with a tampered or replayed envelope', async () => {
    const url = `${b.urls.p2p}/p2p/echo`;
    expect((await post(url, { n: 1 })).json.error?.code).to.equal('OR_ERR_SESSION_REQUIRED');
    expect((await post(url, { n: 1 }, { 'openred-session': 'nope' })).json.error?.code).to.equal(
      'OR_ERR_SESSION_UNKNOWN',
    );
    const session = a.sessions!.current(b.id)!;
    const envelope = session.transport.seal(
      Buffer.from(JSON.stringify({ b: { n: 7 } })),
      requestAad('POST', '/p2p/echo'),
    );
    const tampered = { ...envelope, ct: flip(envelope.ct) };
    const t = await post(url, tampered, { 'openred-session': session.id });
    expect(t.status).to.equal(400);
    expect(t.json.error?.code).to.equal('OR_ERR_BAD_TAG');
    const ok = await post(url, envelope, { 'openred-session': session.id });
    expect(ok.status).to.equal(200);
    const replay = await post(url, envelope, { 'openred-session': session.id });
    expect(replay.json.error?.code).to.equal('OR_ERR_REPLAY');
    // An envelope sealed for another route is refused (method and URL are bound in the AAD).
    const other = session.transport.seal(Buffer.from('{}'), requestAad('POST', '/p2p/echo/fail'));
    expect((await post(url, other, { 'openred-session': session.id })).json.error?.code).to.equal(
      'OR_ERR_BAD_TAG',
    );
  });

  it('binary envelopes: the answer comes back as one; tampered, replayed, misrouted or malformed ones are refused', async () => {
    await a.peers.connect(b.id);
    const session = a.sessions!.current(b.id)!;
    const url = `${b.urls.p2p}/p2p/echo`;
    const send = async (body: Buffer) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': SEALED_TYPE, 'openred-session': session.id },
        body,
      });
      return { res, bytes: Buffer.from(await res.arrayBuffer()) };
    };
    const sealFor = (path: string, body: unknown) =>
      session.transport.sealRaw(Buffer.from(JSON.stringify({ b: body })), binaryRequestAad('POST', path));
    const wire = (raw: RawEnvelope) => binaryEnvelope(raw.e, raw.n, raw.ct);

    const good = sealFor('/p2p/echo', { n: 9 });
    const ok = await send(wire(good));
    expect(ok.res.status).to.equal(200);
    expect(ok.res.headers.get('content-type')).to.equal(SEALED_TYPE);
    // Epoch and counter travel in the body, not in headers.
    expect(ok.res.headers.get('openred-epoch')).to.equal(null);
    expect(ok.res.headers.get('openred-counter')).to.equal(null);
    const envelope = readBinaryEnvelope(ok.bytes)!;
    expect(envelope.e).to.equal(good.e);
    // The answer is bound to the request's counter (checked first: opening it commits its own counter).
    expect(() =>
      session.transport.openRaw(envelope, rawResponseAad('POST', '/p2p/echo', BigInt(good.n) + 1n)),
    )
      .to.throw()
      .with.property('code', 'OR_ERR_BAD_TAG');
    const answer = JSON.parse(
      session.transport.openRaw(envelope, rawResponseAad('POST', '/p2p/echo', good.n)).toString('utf8'),
    ) as { s: number; b: { peer: string; body: unknown } };
    expect(answer.s).to.equal(200);
    expect(answer.b.body).to.deep.equal({ n: 9 });
    expect(answer.b.peer).to.equal(a.id);

    const code = async (r: Promise<{ bytes: Buffer }>) =>
      (JSON.parse((await r).bytes.toString('utf8')) as { error: { code: string } }).error.code;
    expect(await code(send(wire(good)))).to.equal('OR_ERR_REPLAY');
    const tampered = wire(sealFor('/p2p/echo', { n: 10 }));
    tampered[PREFIX_LENGTH]! ^= 1;
    expect(await code(send(tampered))).to.equal('OR_ERR_BAD_TAG');
    expect(await code(send(wire(sealFor('/p2p/echo/fail', {}))))).to.equal('OR_ERR_BAD_TAG');
    // A counter that differs from the one sealed gives another nonce: authentication fails.
    const moved = sealFor('/p2p/echo', { n: 11 });
    expect(await code(send(binaryEnvelope(moved.e, BigInt(moved.n) + 1000n, moved.ct)))).to.equal(
      'OR_ERR_BAD_TAG',
    );
    // An epoch far from the receiver's clock is refused before any decryption.
    const stale = sealFor('/p2p/echo', { n: 12 });
    expect(await code(send(binaryEnvelope(stale.e - 5, stale.n, stale.ct)))).to.equal('OR_ERR_EPOCH_EXPIRED');
    // Too short to hold a prefix and a tag.
    expect(await code(send(Buffer.alloc(PREFIX_LENGTH + 15)))).to.equal('OR_ERR_ENVELOPE_MALFORMED');
    // The session still works after all that.
    expect((await a.peers.request(b.id, 'POST', '/echo', { n: 12 })).status).to.equal(200);
  });

  it('raw peer routes get decrypted bytes and sealed headers; unsealed or misdirected bodies are refused', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    const r = await a.peers.request<{ isBuffer: boolean; size: number; sha256: string; tag: string }>(
      b.id,
      'POST',
      '/echo/upload',
      bytes,
      { headers: { 'x-echo-tag': 'sealed' } },
    );
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({
      isBuffer: true,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      tag: 'sealed',
    });
    // JSON routes see the sealed headers too, not the transport's.
    const echoed = await a.peers.request<{ headers: Record<string, string> }>(
      b.id,
      'POST',
      '/echo',
      {},
      {
        headers: { 'x-echo-tag': 'json' },
      },
    );
    expect(echoed.body.headers).to.deep.equal({ 'x-echo-tag': 'json' });

    const session = a.sessions!.current(b.id)!;
    const plain = await fetch(`${b.urls.p2p}/p2p/echo/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'openred-session': session.id },
      body: bytes,
    });
    expect(plain.status).to.equal(415);
    expect(((await plain.json()) as { error: { code: string } }).error.code).to.equal(
      'OR_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    const refused = await a.peers.request(b.id, 'POST', '/echo', Buffer.from('{}')).then(
      () => undefined,
      (err: unknown) => err as { code?: string; status?: number },
    );
    expect(refused?.code).to.equal('OR_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('accepts tokens only from the pinned directory, and idempotently', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openred-rogue-'));
    try {
      const rogue = loadOrCreateDirectoryKey(dir);
      const other = generateNodeKeys();
      const pair = await issueTokenPair({
        directoryKey: rogue.privateKey,
        initiator: { nodeId: deriveNodeId(other.publicKeys), keys: other.publicKeys },
        responder: { nodeId: b.id, keys: b.crypto.publicKeys },
        suite: '25519_ChaChaPoly_SHA256',
        ttlSeconds: 60,
        epochSeconds: 3600,
        clock: c.clock,
      });
      const res = await post(`${b.urls.p2p}/p2p/tokens/receive`, pair.responderToken);
      expect(res.status).to.be.within(400, 403);
      expect(res.json.error?.code).to.equal('OR_ERR_TOKEN_SIGNATURE');
      const genuine = await issueTokenPair({
        directoryKey: loadOrCreateDirectoryKey(join(c.directory.options.dataDir)).privateKey,
        initiator: { nodeId: deriveNodeId(other.publicKeys), keys: other.publicKeys },
        responder: { nodeId: b.id, keys: b.crypto.publicKeys },
        suite: '25519_ChaChaPoly_SHA256',
        ttlSeconds: 60,
        epochSeconds: 3600,
        clock: c.clock,
      });
      const first = await post(`${b.urls.p2p}/p2p/tokens/receive`, genuine.responderToken);
      const second = await post(`${b.urls.p2p}/p2p/tokens/receive`, genuine.responderToken);
      expect([first.json.status, second.json.status]).to.deep.equal(['stored', 'duplicate']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a replayed handshake message 1 fails: grants are single-use', async () => {
    const engine = a.crypto as CryptoEngine;
    const grant = await a.directoryClient!.requestConnection(n3.id);
    await until(() => a.sessions !== undefined && Boolean(tokenOf(a, grant.grant_id)), 'initiator token');
    const token = tokenOf(a, grant.grant_id)!;
    const { handshakeId, message } = await engine.initiatorHandshake(token, n3.crypto.publicKeys);
    const body = { grant_id: grant.grant_id, from: a.id, keys: a.crypto.publicKeys, msg: toB64u(message) };
    const first = await post(`${n3.urls.p2p}/p2p/handshake`, body);
    expect(first.status).to.equal(200);
    await engine.initiatorFinish(handshakeId, fromB64u(String(first.json.msg)));
    const replay = await post(`${n3.urls.p2p}/p2p/handshake`, body);
    expect(replay.status).to.be.within(400, 499);
    expect(replay.json.error?.code).to.equal('OR_ERR_GRANT_CONSUMED');
  });

  it('a handshake from a node that is not the grant initiator is refused', async () => {
    const grant = await a.directoryClient!.requestConnection(n3.id);
    await until(() => Boolean(tokenOf(a, grant.grant_id)), 'initiator token');
    const token = tokenOf(a, grant.grant_id)!;
    const { message } = await (a.crypto as CryptoEngine).initiatorHandshake(token, n3.crypto.publicKeys);
    const res = await post(`${n3.urls.p2p}/p2p/handshake`, {
      grant_id: grant.grant_id,
      from: b.id,
      keys: b.crypto.publicKeys,
      msg: toB64u(message),
    });
    expect(res.status).to.equal(403);
    expect(res.json.error?.code).to.equal('OR_ERR_HANDSHAKE_PEER');
  });

  it('renews a session before it expires, with traffic running: nothing lost or duplicated', async () => {
    const short = { crypto: { isolation: 'inline' as const, sessionTtlSeconds: 60 } };
    const [x, y] = [await c.addNode(short), await c.addNode(short)];
    await x.peers.connect(y.id);
    const first = x.sessions!.current(y.id)!;
    const ttl = first.expiresAt - first.establishedAt;
    let sent = 0;
    const send = async (): Promise<void> => {
      const r = await x.peers.request(y.id, 'POST', '/echo', { n: sent++ });
      expect(r.status).to.equal(200);
    };
    for (let i = 0; i < 5; i++) await send();
    c.clock.advance(ttl * 0.85); // past the renewal point, before expiry
    await Promise.all(Array.from({ length: 5 }, send)); // triggers the renewal in the background
    await until(() => x.sessions!.current(y.id) !== first, 'renewed session');
    for (let i = 0; i < 5; i++) await send();
    c.clock.advance(ttl * 0.2); // the first session has now expired
    for (let i = 0; i < 5; i++) await send();
    const count = (await (await fetch(`${y.urls.api}/api/echo/count`)).json()) as { received: number };
    expect(count.received).to.equal(sent);
    expect(sent).to.equal(20);
  });

  it('keeps established sessions working while the directory is down, and re-registers when it is back', async () => {
    const z = await c.addNode();
    await a.peers.connect(b.id);
    const { port, options } = c.directory;
    await c.directory.stop();
    for (let i = 0; i < 5; i++) {
      expect((await a.peers.request(b.id, 'POST', '/echo', { n: i })).status).to.equal(200);
    }
    // A new peer cannot be reached without the directory: a clear error, not a hang.
    const err = await a.peers.connect(z.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isOpenRedError(err), String(err)).to.equal(true);
    // The directory comes back on the same address; presence re-registers the nodes (with backoff).
    c.directory = await startDirectory({ ...options, port }, { clock: c.clock, logger: silentLogger() });
    expect(await z.presence!.beat()).to.equal(true);
    expect(z.presence!.state.lastError).to.equal(null);
    expect((await a.peers.request(z.id, 'POST', '/echo', { n: 1 })).status).to.equal(200);
  });
});

describe('node restart and the connection pool', function () {
  this.timeout(30_000);
  let c: Community;
  after(async () => c?.close());

  it('re-handshakes transparently after the peer restarted and forgot the session; tokens reload', async () => {
    c = await startCommunity({ nodes: 2 });
    const [a, b] = c.nodes as [OpenRedNode, OpenRedNode];
    await a.peers.request(b.id, 'POST', '/echo', { n: 1 });
    const tokensBefore = countTokens(b);
    const b2 = await c.restart(b);
    expect(b2.id).to.equal(b.id);
    expect(countTokens(b2)).to.equal(tokensBefore);
    const r = await a.peers.request<{ peer: string }>(b.id, 'POST', '/echo', { n: 2 });
    expect(r.status).to.equal(200);
    expect(r.body.peer).to.equal(a.id);
  });

  it('bounds the connections to one peer', async () => {
    const [a, b] = c.nodes as [OpenRedNode, OpenRedNode];
    await Promise.all(Array.from({ length: 60 }, (_, n) => a.peers.request(b.id, 'POST', '/echo', { n })));
    const stats = (await (await fetch(`${a.urls.api}/api/peers`)).json()) as {
      pool: Array<{ origin: string; connected: number }>;
    };
    const toB = stats.pool.find((p) => p.origin === new URL(b.urls.p2p!).origin)!;
    expect(toB.connected).to.be.within(1, 8);
  });
});

function flip(b64u: string): string {
  const raw = fromB64u(b64u);
  raw[0] ^= 1;
  return toB64u(raw);
}

function tokenOf(node: OpenRedNode, grantId: string) {
  return node.tokens?.get(grantId)?.token;
}

function countTokens(node: OpenRedNode): number {
  return node.tokens?.tokens().length ?? 0;
}
