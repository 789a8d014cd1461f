import { expect } from 'chai';
import { openToken } from '../../../core/crypto/tokens/verify.js';
import { http } from '../../integration/directory/http.js';
import { forEachStore } from './harness.js';

forEachStore('POST /tokens/request-connection', (h) => {
  it('issues a linked token pair, delivers each token to its node, and answers', async () => {
    const t = await h.start();
    const a = await t.registered();
    const b = await t.registered();
    const res = await t.post('/tokens/request-connection', a.connectionRequest(b.nodeId));
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.delivered).to.deep.equal({ initiator: true, responder: true });
    expect(res.body.suite).to.equal('25519_ChaChaPoly_SHA256');
    const [ta] = await a.waitForTokens(1);
    const [tb] = await b.waitForTokens(1);
    expect(ta!.role).to.equal('initiator');
    expect(tb!.role).to.equal('responder');
    expect(ta!.grant).to.deep.equal(tb!.grant);
    expect(ta!.grant.grant_id).to.equal(res.body.grant_id);
    expect(ta!.grant.expires_at).to.equal(res.body.expires_at);
    expect(ta!.grant).to.include({ initiator: a.nodeId, responder: b.nodeId });
    expect(ta!.ct).not.to.equal(tb!.ct);
    // Linked: each node opens its own token to the same secret.
    const pa = await openToken(ta!, a.keys.x25519Private);
    const pb = await openToken(tb!, b.keys.x25519Private);
    expect(pa.equals(pb)).to.equal(true);
  });

  it('keeps nothing of the grant: not in the store, nothing in flight after answering', async () => {
    const t = await h.start();
    const a = await t.registered();
    const b = await t.registered();
    const before = await t.dump();
    const res = await t.post('/tokens/request-connection', a.connectionRequest(b.nodeId));
    expect(res.status).to.equal(200);
    const [ta] = await a.waitForTokens(1);
    const [tb] = await b.waitForTokens(1);
    const after = await t.dump();
    for (const secret of [res.body.grant_id, ta!.enc, ta!.ct, ta!.sig, tb!.enc, tb!.ct, tb!.sig]) {
      expect(after).not.to.include(secret);
    }
    expect(t.dir.service.grantsInFlight).to.equal(0);
    expect((await http(t.api('/health'))).body.grants_in_flight).to.equal(0);
    if (h.kind === 'lowdb') expect(after).to.equal(before);
  });

  it('honours a requested suite both nodes accept, refuses one they do not share', async () => {
    const t = await h.start();
    const a = await t.registered();
    const b = await t.registered({ suites: ['25519_AESGCM_SHA256'] });
    const ok = await t.post('/tokens/request-connection', a.connectionRequest(b.nodeId));
    expect(ok.body.suite).to.equal('25519_AESGCM_SHA256');
    const both = await t.registered();
    const asked = await t.post(
      '/tokens/request-connection',
      a.connectionRequest(both.nodeId, { suite: '25519_AESGCM_SHA256' }),
    );
    expect(asked.body.suite).to.equal('25519_AESGCM_SHA256');
    const byDefault = await t.post('/tokens/request-connection', a.connectionRequest(both.nodeId));
    expect(byDefault.body.suite).to.equal('25519_ChaChaPoly_SHA256');
    const c = await t.registered({ suites: ['25519_ChaChaPoly_SHA256'] });
    const refused = await t.post(
      '/tokens/request-connection',
      c.connectionRequest(both.nodeId, { suite: '25519_AESGCM_SHA256' }),
    );
    expect(refused.body.error.code).to.equal('OR_ERR_NO_COMMON_SUITE');
    const none = await t.post('/tokens/request-connection', b.connectionRequest(c.nodeId));
    expect(none.status).to.equal(409);
    expect(none.body.error.code).to.equal('OR_ERR_NO_COMMON_SUITE');
  });

  it('refuses self, unknown, offline, replayed, unsigned and wrongly signed requests', async () => {
    const t = await h.start({ presence: { activeSeconds: 30, offlineSeconds: 60, retentionSeconds: 3600 } });
    const a = await t.registered();
    const b = await t.registered();
    const stranger = await t.node({ noServer: true });
    const expectError = async (body: unknown, status: number, code: string) => {
      const res = await t.post('/tokens/request-connection', body);
      expect(res.status, `${code}: ${JSON.stringify(res.body)}`).to.equal(status);
      expect(res.body.error.code).to.equal(code);
    };
    await expectError(a.connectionRequest(a.nodeId), 400, 'OR_ERR_SELF_CONNECTION');
    await expectError(a.connectionRequest(stranger.nodeId), 404, 'OR_ERR_UNKNOWN_NODE');
    await expectError(stranger.connectionRequest(a.nodeId), 401, 'OR_ERR_UNKNOWN_SIGNER');
    await expectError(
      { ...a.connectionRequest(b.nodeId), sig: b.connectionRequest(a.nodeId).sig },
      401,
      'OR_ERR_BAD_SIGNATURE',
    );
    const { sig: _sig, ...unsigned } = a.connectionRequest(b.nodeId);
    await expectError(unsigned, 400, 'OR_ERR_VALIDATION');
    await expectError(
      a.connectionRequest(b.nodeId, { ts: t.clock.now() - 3_600_000 }),
      401,
      'OR_ERR_CLOCK_SKEW',
    );
    const once = a.connectionRequest(b.nodeId);
    expect((await t.post('/tokens/request-connection', once)).status).to.equal(200);
    await expectError(once, 409, 'OR_ERR_REPLAYED_REQUEST');
    t.clock.advance(61_000);
    await t.post('/nodes/register', a.registration()); // a stays present, b goes offline
    await expectError(a.connectionRequest(b.nodeId), 409, 'OR_ERR_NODE_OFFLINE');
    await expectError(b.connectionRequest(a.nodeId), 409, 'OR_ERR_NODE_OFFLINE');
    expect(a.received).to.have.length(1);
    expect(b.received).to.have.length(1);
  });

  it('retries a failing node a bounded number of times, never follows redirects', async () => {
    const t = await h.start({ delivery: { timeoutMs: 300, retries: 2, retryDelayMs: 5 } });
    const a = await t.registered();
    const flaky = await t.registered({ behaviour: { failFirst: 2 } });
    const res = await t.post('/tokens/request-connection', a.connectionRequest(flaky.nodeId));
    expect(res.body.delivered).to.deep.equal({ initiator: true, responder: true });
    expect(flaky.attempts).to.equal(3);

    const redirecting = await t.registered({ behaviour: 'redirect' });
    const r2 = await t.post('/tokens/request-connection', a.connectionRequest(redirecting.nodeId));
    expect(r2.body.delivered).to.deep.equal({ initiator: true, responder: false });
    expect(redirecting.attempts).to.equal(1);

    const refusing = await t.registered({ behaviour: 'reject' });
    const r3 = await t.post('/tokens/request-connection', a.connectionRequest(refusing.nodeId));
    expect(r3.body.delivered.responder).to.equal(false);
    expect(refusing.attempts).to.equal(1);

    const dead = await t.registered({ behaviour: { failFirst: 100 } });
    const r4 = await t.post('/tokens/request-connection', a.connectionRequest(dead.nodeId));
    expect(r4.body.delivered.responder).to.equal(false);
    expect(dead.attempts).to.equal(3);
  });

  it('gives up on a node that does not answer within the timeout', async () => {
    const t = await h.start({ delivery: { timeoutMs: 150, retries: 1, retryDelayMs: 5 } });
    const a = await t.registered();
    const slow = await t.registered({ behaviour: 'hang' });
    const started = Date.now();
    const res = await t.post('/tokens/request-connection', a.connectionRequest(slow.nodeId));
    expect(res.body.delivered).to.deep.equal({ initiator: true, responder: false });
    expect(Date.now() - started).to.be.below(2000);
    expect(slow.attempts).to.equal(2);
  });
});
