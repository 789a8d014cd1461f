import { expect } from 'chai';
import { http } from '../../integration/directory/http.js';
import { forEachStore, relaxedLimits, signedDiscover } from './harness.js';

forEachStore('rate limits and health', (h) => {
  it('limits requests per source address on every endpoint: 429 with Retry-After', async () => {
    const t = await h.start({ rateLimits: { ...relaxedLimits, perAddress: { perSecond: 1, burst: 3 } } });
    for (let i = 0; i < 3; i++) expect((await http(t.api('/health'))).status).to.equal(200);
    const limited = await http(t.api('/nodes/discover'));
    expect(limited.status).to.equal(429);
    expect(limited.body.error.code).to.equal('OR_ERR_RATE_LIMITED');
    expect(limited.headers['retry-after']).to.equal('1');
    t.clock.advance(1000);
    expect((await http(t.api('/health'))).status).to.equal(200);
  });

  it('keys the address limit on X-Forwarded-For only when trustProxy is set', async () => {
    const limited = { rateLimits: { ...relaxedLimits, perAddress: { perSecond: 1, burst: 1 } } };
    const direct = await h.start(limited);
    expect(
      (await http(direct.api('/health'), { headers: { 'x-forwarded-for': '198.51.100.1' } })).status,
    ).to.equal(200);
    expect(
      (await http(direct.api('/health'), { headers: { 'x-forwarded-for': '198.51.100.2' } })).status,
    ).to.equal(429);
    const proxied = await h.start({ ...limited, trustProxy: true });
    const as = (ip: string) =>
      http(proxied.api('/health'), { headers: { 'x-forwarded-for': `10.9.9.9, ${ip}` } });
    expect((await as('198.51.100.1')).status).to.equal(200);
    expect((await as('198.51.100.2')).status).to.equal(200);
    expect((await as('198.51.100.1')).status).to.equal(429);
  });

  it('limits registrations and discovers per node, counted only after the signature verifies', async () => {
    const t = await h.start({ rateLimits: { ...relaxedLimits, perNode: { perSecond: 0.5, burst: 2 } } });
    const a = await t.node();
    const victim = await t.node();
    // Forged requests in the victim's name do not spend the victim's budget.
    for (let i = 0; i < 5; i++) {
      const forged = { ...victim.registration(), api_url: 'http://127.0.0.1:2/' };
      expect((await t.post('/nodes/register', forged)).status).to.equal(401);
    }
    expect((await t.post('/nodes/register', victim.registration())).status).to.equal(200);
    expect((await t.post('/nodes/register', a.registration())).status).to.equal(200);
    expect((await signedDiscover(t, a, { id: victim.nodeId })).status).to.equal(200);
    const over = await t.post('/nodes/register', a.registration({ api_url: 'http://127.0.0.1:3/' }));
    expect(over.status).to.equal(429);
    expect(over.body.error.code).to.equal('OR_ERR_RATE_LIMITED');
    expect(over.headers['retry-after']).to.equal('2');
    expect((await t.dir.store.getNode(a.nodeId))!.api_url).to.equal(a.url); // nothing stored
    t.clock.advance(2000);
    expect((await signedDiscover(t, a, { id: victim.nodeId })).status).to.equal(200);
  });

  it('limits connection requests per requesting node', async () => {
    const t = await h.start({
      rateLimits: { ...relaxedLimits, connectionsPerNode: { perSecond: 1, burst: 2 } },
    });
    const a = await t.registered();
    const b = await t.registered();
    expect((await t.post('/tokens/request-connection', a.connectionRequest(b.nodeId))).status).to.equal(200);
    expect((await t.post('/tokens/request-connection', a.connectionRequest(b.nodeId))).status).to.equal(200);
    const over = await t.post('/tokens/request-connection', a.connectionRequest(b.nodeId));
    expect(over.status).to.equal(429);
    expect(over.headers['retry-after']).to.equal('1');
    expect(b.received).to.have.length(2);
    expect((await t.post('/tokens/request-connection', b.connectionRequest(a.nodeId))).status).to.equal(200);
  });

  it('health reports store, counts, version and the directory key', async () => {
    const t = await h.start();
    await t.registered({ noServer: true });
    const res = await http(t.api('/health'));
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({
      status: 'ok',
      store: { kind: h.kind, ok: true },
      counts: { total: 1, active: 1, stale: 0, offline: 0 },
      public_key: t.dir.publicKey,
      fingerprint: t.dir.fingerprint,
      grants_in_flight: 0,
    });
    expect(res.body.version).to.match(/^\d+\.\d+\.\d+/);
  });

  it('answers unknown routes with 404 OR_ERR_NOT_FOUND', async () => {
    const t = await h.start();
    const res = await http(t.api('/nodes/everything'));
    expect(res.status).to.equal(404);
    expect(res.body.error.code).to.equal('OR_ERR_NOT_FOUND');
  });
});
