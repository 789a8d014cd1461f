import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { FIXTURE_PLUGINS, startCommunity, type Community } from '../../helpers/community.js';
import { httpRequest, pollUntil, repoRoot } from '../../helpers/node-harness.js';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }>;
}

const PLUGINS = join(repoRoot, 'plugins');

describe('monitoring: GET /metrics after real traffic, and GET /api/monitoring/health', function () {
  this.timeout(60_000);
  let community: Community;
  let a: OpenRedNode;
  let b: OpenRedNode;

  const scrapeToken = async (node: OpenRedNode) =>
    (
      await readFile(
        join(node.config.node.dataDir, 'plugins', 'monitoring', 'files', 'metrics-token'),
        'utf8',
      )
    ).trim();

  const scrape = async (node: OpenRedNode) => {
    const r = await httpRequest(`${node.urls.api}/metrics`, {
      headers: { authorization: `Bearer ${await scrapeToken(node)}` },
    });
    expect(r.status, r.text).to.equal(200);
    expect(String(r.headers['content-type'])).to.match(/^text\/plain; version=0\.0\.4/);
    return { text: r.text, families: parsePrometheusTextFormat(r.text) as Family[] };
  };

  const sample = (
    families: Family[],
    name: string,
    labels: Record<string, string> = {},
  ): number | undefined => {
    const family = families.find((f) => f.name === name);
    const m = family?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    return m?.value === undefined ? undefined : Number(m.value);
  };

  before(async () => {
    community = await startCommunity({ nodes: 0 });
    const modules = {
      plugins: { dirs: [PLUGINS, FIXTURE_PLUGINS], packages: false, hotReload: false },
      modules: { authentication: { scryptLog2N: 10 } },
    };
    a = await community.addNode(modules, 'a');
    b = await community.addNode(modules, 'b');
    // Traffic: sealed peer requests a -> b (ok and failing), owner calls on b, one message a -> b.
    for (let i = 0; i < 5; i++) await a.peers.request(b.id, 'POST', '/echo', { n: i, text: 'x'.repeat(100) });
    await a.peers.request(b.id, 'POST', '/echo/fail', {});
    await httpRequest(`${b.urls.api}/api/node/status`);
    await httpRequest(`${b.urls.api}/api/echo/count`);
    const sent = await httpRequest(`${a.urls.api}/api/messages`, {
      method: 'POST',
      json: { to: b.id, body: 'hello from a' },
    });
    expect(sent.status, sent.text).to.equal(201);
    await pollUntil(
      async () => {
        const { families } = await scrape(b);
        return (sample(families, 'openred_messages_total', { direction: 'in' }) ?? 0) >= 1;
      },
      { what: 'the message to arrive', timeoutMs: 15_000, intervalMs: 50 },
    );
  });

  after(async () => community?.close());

  it('refuses a scrape without the token, and with a wrong one', async () => {
    const none = await httpRequest(`${b.urls.api}/metrics`);
    expect(none.status).to.equal(401);
    const wrong = await httpRequest(`${b.urls.api}/metrics`, {
      headers: { authorization: 'Bearer orm_nope' },
    });
    expect(wrong.status).to.equal(401);
  });

  it('requests by route and status, with latency histograms and bytes', async () => {
    const { text, families } = await scrape(b);
    const requests = { surface: 'p2p', route: '/p2p/echo', method: 'POST' };
    expect(sample(families, 'openred_http_requests_total', { ...requests, status: '200' })).to.be.at.least(5);
    expect(
      sample(families, 'openred_http_requests_total', { route: '/p2p/echo/fail', status: '409' }),
    ).to.equal(1);
    expect(
      sample(families, 'openred_http_requests_total', { route: '/api/node/status', status: '200' }),
    ).to.equal(1);
    expect(
      sample(families, 'openred_http_requests_total', { route: '/p2p/handshake', status: '200' }),
    ).to.equal(1);
    const histogram = families.find((f) => f.name === 'openred_http_request_duration_seconds');
    expect(histogram?.type).to.equal('HISTOGRAM');
    expect(histogram!.metrics[0]!.buckets).to.have.property('+Inf');
    const count =
      /openred_http_request_duration_seconds_count\{surface="p2p",route="\/p2p\/echo"\} (\d+)/.exec(text);
    expect(Number(count?.[1])).to.be.at.least(5);
    expect(
      sample(families, 'openred_http_bytes_total', { surface: 'p2p', direction: 'in' }),
    ).to.be.greaterThan(500);
    expect(
      sample(families, 'openred_http_bytes_total', { surface: 'p2p', direction: 'out' }),
    ).to.be.greaterThan(500);
  });

  it('sessions, handshakes, tokens, plugins, messages, crypto agent, audit', async () => {
    const { families } = await scrape(b);
    expect(sample(families, 'openred_peer_sessions', { role: 'responder' })).to.be.at.least(1);
    expect(sample(families, 'openred_handshakes_total', { role: 'responder', result: 'ok' })).to.be.at.least(
      1,
    );
    expect(sample(families, 'openred_tokens_total', { event: 'received' })).to.be.at.least(1);
    expect(sample(families, 'openred_tokens_total', { event: 'rejected' })).to.equal(0);
    expect(sample(families, 'openred_plugin_active', { plugin: 'echo' })).to.equal(1);
    expect(
      sample(families, 'openred_plugin_events_total', { plugin: 'messaging', event: 'failed' }),
    ).to.equal(0);
    expect(sample(families, 'openred_messages_total', { direction: 'in', result: 'ok' })).to.be.at.least(1);
    expect(sample(families, 'openred_message_bytes_total', { direction: 'in' })).to.equal(
      'hello from a'.length,
    );
    expect(sample(families, 'openred_crypto_agent_up')).to.equal(1);
    expect(sample(families, 'openred_crypto_isolation_info', { level: 'inline' })).to.equal(1);
    expect(sample(families, 'openred_directory_registered')).to.equal(1);
    expect(sample(families, 'openred_audit_last_seq')).to.be.greaterThan(0);
    expect(sample(families, 'openred_auth_attempts_total', { result: 'failed' })).to.equal(0);
    // The initiator side counts its own handshake and the message it delivered.
    const fromA = (await scrape(a)).families;
    expect(sample(fromA, 'openred_handshakes_total', { role: 'initiator', result: 'ok' })).to.be.at.least(1);
    await pollUntil(
      async () =>
        (sample((await scrape(a)).families, 'openred_messages_total', { direction: 'out', result: 'ok' }) ??
          0) >= 1,
      {
        what: 'the delivery acknowledgement',
      },
    );
  });

  it('a failed handshake and a rejected token are counted', async () => {
    await httpRequest(`${b.urls.p2p}/p2p/handshake`, {
      method: 'POST',
      json: { from: a.id, msg: 'not a handshake' },
    });
    await httpRequest(`${b.urls.p2p}/p2p/tokens/receive`, { method: 'POST', json: { forged: true } });
    const { families } = await scrape(b);
    expect(sample(families, 'openred_handshakes_total', { role: 'responder', result: 'error' })).to.equal(1);
    expect(sample(families, 'openred_tokens_total', { event: 'rejected' })).to.equal(1);
  });

  it('health: component states, isolation, directory, stores and every plugin', async () => {
    const r = await httpRequest(`${b.urls.api}/api/monitoring/health`);
    expect(r.status).to.equal(200);
    const h = r.json as {
      status: string;
      components: {
        crypto: { state: string; isolation: string };
        directory: { state: string; reachable: boolean; registered: boolean };
        stores: {
          tokens: { state: string };
          plugin_storage: { state: string };
          audit_log: { state: string; seq: number };
        };
      };
      plugins: Array<{ name: string; state: string; last_error: string | null }>;
    };
    expect(h.status).to.equal('ok');
    expect(h.components.crypto).to.include({ state: 'ok', isolation: 'inline' });
    expect(h.components.directory).to.include({ state: 'ok', reachable: true, registered: true });
    expect(h.components.stores.tokens.state).to.equal('ok');
    expect(h.components.stores.plugin_storage.state).to.equal('ok');
    expect(h.components.stores.audit_log.state).to.equal('ok');
    expect(h.plugins.map((p) => p.name)).to.include.members([
      'authentication',
      'echo',
      'messaging',
      'monitoring',
    ]);
  });

  it('health is degraded when the directory is unreachable', async () => {
    await community.directory.stop();
    const r = await httpRequest(`${b.urls.api}/api/monitoring/health`);
    const h = r.json as { status: string; components: { directory: { state: string; reachable: boolean } } };
    expect(h.components.directory).to.include({ state: 'degraded', reachable: false });
    expect(h.status).to.equal('degraded');
  });
});
