import { expect } from 'chai';
import { generateNodeKeys } from '../../../core/crypto/identity.js';
import { signCanonical } from '../../../core/crypto/signatures.js';
import { withoutSig } from '../../../core/directory/signing.js';
import type { FakeNode } from '../../integration/directory/fake-node.js';
import { http } from '../../integration/directory/http.js';
import { forEachStore, signedDiscover } from './harness.js';

forEachStore('POST /nodes/register', (h) => {
  it('stores a signed registration and answers with presence', async () => {
    const t = await h.start();
    const n = await t.node({ capabilities: ['messaging', 'file-sharing'] });
    const res = await t.post('/nodes/register', n.registration());
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      node_id: n.nodeId,
      status: 'active',
      last_seen: t.clock.now(),
      heartbeat_seconds: 30,
    });
    const rec = await t.dir.store.getNode(n.nodeId);
    expect(rec).to.include({ node_id: n.nodeId, api_url: n.url, last_seen: t.clock.now() });
    expect(rec!.keys).to.deep.equal(n.keys.publicKeys);
    expect(rec!.capabilities).to.deep.equal(['messaging', 'file-sharing']);
  });

  it('is also the heartbeat: a later registration moves last_seen', async () => {
    const t = await h.start();
    const n = await t.registered();
    t.clock.advance(40_000);
    const res = await t.post('/nodes/register', n.registration());
    expect(res.status).to.equal(200);
    expect((await t.dir.store.getNode(n.nodeId))!.last_seen).to.equal(t.clock.now());
  });

  const refused: Array<[string, number, string, (n: FakeNode) => unknown]> = [
    ['unsigned', 400, 'OR_ERR_VALIDATION', (n) => n.registration({}, { unsigned: true })],
    [
      'signed by another key',
      401,
      'OR_ERR_BAD_SIGNATURE',
      (n) => {
        const body = n.registration();
        return { ...body, sig: signCanonical(generateNodeKeys().ed25519Private, withoutSig(body)) };
      },
    ],
    [
      'changed after signing',
      401,
      'OR_ERR_BAD_SIGNATURE',
      (n) => ({
        ...n.registration(),
        api_url: 'http://127.0.0.1:1/',
      }),
    ],
    [
      'with an id that is not the hash of its keys',
      400,
      'OR_ERR_NODE_ID_MISMATCH',
      (n) => n.registration({ keys: generateNodeKeys().publicKeys }),
    ],
    [
      'with a ts too far in the past',
      401,
      'OR_ERR_CLOCK_SKEW',
      (n) => n.registration({ ts: Date.UTC(2026, 0, 1) - 61_000 }),
    ],
    [
      'with a ts too far in the future',
      401,
      'OR_ERR_CLOCK_SKEW',
      (n) => n.registration({ ts: Date.UTC(2026, 0, 1) + 61_000 }),
    ],
    ['with an unknown field', 400, 'OR_ERR_VALIDATION', (n) => ({ ...n.registration(), admin: true })],
    [
      'with an unknown suite',
      400,
      'OR_ERR_VALIDATION',
      (n) => n.registration({ suites: ['Noise_NN' as never] }),
    ],
    [
      'with a bad capability name',
      400,
      'OR_ERR_VALIDATION',
      (n) => n.registration({ capabilities: ['Bad Name'] }),
    ],
    [
      'with an ftp api_url',
      400,
      'OR_ERR_API_URL_FORBIDDEN',
      (n) => n.registration({ api_url: 'ftp://example.org/' }),
    ],
    [
      'with credentials in api_url',
      400,
      'OR_ERR_API_URL_FORBIDDEN',
      (n) => n.registration({ api_url: 'http://user:pw@203.0.113.9/' }),
    ],
    [
      'with api_url on a private address',
      400,
      'OR_ERR_API_URL_FORBIDDEN',
      (n) => n.registration({ api_url: 'http://10.1.2.3:7700' }),
    ],
    [
      'with api_url on the metadata address',
      400,
      'OR_ERR_API_URL_FORBIDDEN',
      (n) => n.registration({ api_url: 'http://169.254.169.254/' }),
    ],
    [
      'with api_url on IPv6 unique-local',
      400,
      'OR_ERR_API_URL_FORBIDDEN',
      (n) => n.registration({ api_url: 'http://[fd00::1]:7700' }),
    ],
  ];
  for (const [what, status, code, make] of refused) {
    it(`refuses a registration ${what} (${status} ${code}) and stores nothing`, async () => {
      const t = await h.start();
      const n = await t.node({ noServer: true });
      const res = await t.post('/nodes/register', make(n));
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      expect(res.body.error.code).to.equal(code);
      expect(await t.dir.store.getNode(n.nodeId)).to.equal(null);
      expect(await t.dump()).not.to.include(n.nodeId);
    });
  }

  it('refuses a replayed registration and a rollback to an older one (409)', async () => {
    const t = await h.start();
    const n = await t.node();
    const old = n.registration({ api_url: 'http://127.0.0.1:1111' });
    t.clock.advance(1000);
    const current = n.registration();
    expect((await t.post('/nodes/register', current)).status).to.equal(200);
    const replay = await t.post('/nodes/register', current);
    expect(replay.status).to.equal(409);
    expect(replay.body.error.code).to.equal('OR_ERR_STALE_REGISTRATION');
    const rollback = await t.post('/nodes/register', old);
    expect(rollback.status).to.equal(409);
    expect(rollback.body.error.code).to.equal('OR_ERR_STALE_REGISTRATION');
    expect((await t.dir.store.getNode(n.nodeId))!.api_url).to.equal(n.url);
  });

  it('refuses loopback api_url unless the operator allows it (also IPv4-mapped IPv6 and localhost)', async () => {
    const t = await h.start({ outbound: { allowLoopback: false } });
    for (const api_url of [
      'http://127.0.0.1:7700',
      'http://[::1]:7700',
      'http://[::ffff:127.0.0.1]:7700',
      'http://localhost:7700',
      'http://2130706433/',
    ]) {
      const n = await t.node({ noServer: true });
      const res = await t.post('/nodes/register', n.registration({ api_url }));
      expect(res.status, api_url).to.equal(400);
      expect(res.body.error.code).to.equal('OR_ERR_API_URL_FORBIDDEN');
    }
  });

  it('checks the api_url host name through DNS at registration', async () => {
    const resolver = async (host: string) =>
      host === 'evil.example'
        ? [{ address: '10.0.0.7', family: 4 }]
        : [{ address: '93.184.216.34', family: 4 }];
    const t = await h.start({}, { resolver });
    const bad = await t.node({ noServer: true });
    const res = await t.post('/nodes/register', bad.registration({ api_url: 'http://evil.example:7700' }));
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('OR_ERR_API_URL_FORBIDDEN');
    const good = await t.node({ noServer: true });
    expect(
      (await t.post('/nodes/register', good.registration({ api_url: 'https://node.example' }))).status,
    ).to.equal(200);
  });

  it('refuses malformed, oversized, too deep and non-JSON bodies with stable codes', async () => {
    const t = await h.start({ limits: { maxBodyBytes: 2048 } });
    const url = t.api('/nodes/register');
    const json = { 'content-type': 'application/json' };
    const cases: Array<[Parameters<typeof http>[1], number, string]> = [
      [{ method: 'POST', raw: '{"node_id":', headers: json }, 400, 'OR_ERR_BAD_JSON'],
      [
        { method: 'POST', raw: JSON.stringify({ pad: 'x'.repeat(4096) }), headers: json },
        413,
        'OR_ERR_BODY_TOO_LARGE',
      ],
      [{ method: 'POST', raw: '['.repeat(20) + ']'.repeat(20), headers: json }, 400, 'OR_ERR_JSON_TOO_DEEP'],
      [
        {
          method: 'POST',
          raw: 'node_id=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        415,
        'OR_ERR_UNSUPPORTED_MEDIA_TYPE',
      ],
      [{ method: 'POST', json: [] }, 400, 'OR_ERR_VALIDATION'],
      [{ method: 'GET' }, 405, 'OR_ERR_METHOD_NOT_ALLOWED'],
    ];
    for (const [opts, status, code] of cases) {
      const res = await http(url, opts);
      expect(res.status, code).to.equal(status);
      expect(res.body.error.code).to.equal(code);
    }
    expect(await t.dir.store.counts(0, 0)).to.include({ total: 0 });
  });

  it('a registered node is visible through discover by id', async () => {
    const t = await h.start();
    const a = await t.registered();
    const b = await t.registered({ capabilities: ['file-sharing'] });
    const res = await signedDiscover(t, a, { id: b.nodeId });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({
      node_id: b.nodeId,
      api_url: b.url,
      keys: b.keys.publicKeys,
      suites: b.suites,
      capabilities: ['file-sharing'],
      last_seen: t.clock.now(),
      status: 'active',
    });
  });
});
