import { expect } from 'chai';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenRedNode } from '../../../core/kernel/node.js';
import { FIXTURE_PLUGINS, startCommunity, type Community } from '../../helpers/community.js';
import { httpRequest, repoRoot } from '../../helpers/node-harness.js';

const PLUGINS = join(repoRoot, 'plugins');

interface Entry {
  seq: number;
  ts: number;
  event: string;
  source: string;
  data: Record<string, unknown>;
}

describe('monitoring: the audit log of a running node', function () {
  this.timeout(60_000);
  let community: Community;
  let a: OpenRedNode;
  let b: OpenRedNode;

  const get = async <T>(node: OpenRedNode, path: string) => {
    const r = await httpRequest(`${node.urls.api}${path}`);
    expect(r.status, r.text).to.equal(200);
    return r.json as T;
  };
  const auditDir = (node: OpenRedNode) =>
    join(node.config.node.dataDir, 'plugins', 'monitoring', 'files', 'audit');

  before(async () => {
    community = await startCommunity({ nodes: 0 });
    const config = {
      plugins: { dirs: [PLUGINS, FIXTURE_PLUGINS], packages: false, hotReload: false },
      modules: { authentication: { scryptLog2N: 10 }, monitoring: { audit: { maxFileBytes: 4096 } } },
    };
    a = await community.addNode(config, 'a');
    b = await community.addNode(config, 'b');
    await a.peers.request(b.id, 'POST', '/echo', { n: 1 });
    // A few failed logins on b (it has no owner yet: setup attempts with a wrong code).
    for (let i = 0; i < 3; i++) {
      await httpRequest(`${b.urls.api}/api/auth/setup`, {
        method: 'POST',
        json: { setup_code: 'wrong', password: 'whatever it is' },
      });
    }
  });

  after(async () => community?.close());

  it('records kernel and module security events; verify passes', async () => {
    const { entries } = await get<{ entries: Entry[] }>(b, '/api/monitoring/audit?limit=1000');
    const events = entries.map((e) => e.event);
    expect(events).to.include.members([
      'audit.opened',
      'token.received',
      'session.established',
      'auth.setup.failed',
    ]);
    expect(entries.map((e) => e.seq)).to.deep.equal(entries.map((_, i) => i + 1));
    const report = await get<{ ok: boolean; entries: number }>(b, '/api/monitoring/audit/verify');
    expect(report).to.include({ ok: true, entries: entries.length });
  });

  it('node ids are stored as keyed hashes, and --peer finds them', async () => {
    const { entries } = await get<{ entries: Entry[] }>(b, '/api/monitoring/audit?event=session.established');
    expect(entries).to.have.length.at.least(1);
    expect(JSON.stringify(entries)).not.to.include(a.id);
    expect(String(entries[0]!.data.peer)).to.match(/^idh_[0-9a-f]{32}$/);
    const byPeer = await get<{ entries: Entry[] }>(b, `/api/monitoring/audit?peer=${a.id}`);
    expect(byPeer.entries.map((e) => e.event)).to.include('session.established');
    const other = await get<{ entries: Entry[] }>(b, `/api/monitoring/audit?peer=or${'q'.repeat(32)}`);
    expect(other.entries).to.deep.equal([]);
    // The files themselves hold no plaintext at all.
    for (const f of await readdir(auditDir(b))) {
      const text = await readFile(join(auditDir(b), f), 'utf8');
      expect(text).not.to.include('session');
      expect(text).not.to.include(a.id);
    }
  });

  it('filters by event prefix and time', async () => {
    const all = await get<{ entries: Entry[] }>(b, '/api/monitoring/audit?event=auth.*');
    expect(all.entries.map((e) => e.event)).to.deep.equal([
      'auth.setup.failed',
      'auth.setup.failed',
      'auth.setup.failed',
    ]);
    expect(all.entries[0]!.source).to.equal('authentication');
    community.clock.advance(60_000);
    const since = community.clock.now();
    await httpRequest(`${b.urls.api}/api/auth/setup`, {
      method: 'POST',
      json: { setup_code: 'x', password: 'y' },
    });
    const recent = await get<{ entries: Entry[] }>(b, `/api/monitoring/audit?since=${since}`);
    expect(recent.entries.map((e) => e.event)).to.deep.equal(['auth.setup.failed']);
  });

  it('the module reloaded with new settings appends to the same chain', async () => {
    b.config.modules.monitoring = { audit: { maxFileBytes: 8192 } };
    await b.host.applyConfig(b.config);
    await a.peers.request(b.id, 'POST', '/echo', { n: 2 });
    await httpRequest(`${b.urls.api}/api/auth/setup`, {
      method: 'POST',
      json: { setup_code: 'x', password: 'y' },
    });
    const report = await get<{ ok: boolean; files: string[] }>(b, '/api/monitoring/audit/verify');
    expect(report.ok, JSON.stringify(report)).to.equal(true);
    // While both versions were subscribed, only the new one recorded: no event twice.
    const { entries } = await get<{ entries: Entry[] }>(
      b,
      '/api/monitoring/audit?event=plugin.loaded&limit=1000',
    );
    const reloads = entries.filter((e) => e.data.plugin === 'monitoring' && e.data.reload === true);
    expect(reloads).to.have.length(1);
  });

  it('rotates by size, and tampering on disk is reported at its exact position', async () => {
    for (let i = 0; i < 40; i++) {
      await httpRequest(`${b.urls.api}/api/auth/setup`, {
        method: 'POST',
        json: { setup_code: 'x', password: 'y' },
      });
      community.clock.advance(3_600_000); // past any lockout
    }
    const before = await get<{ ok: boolean; files: string[]; entries: number }>(
      b,
      '/api/monitoring/audit/verify',
    );
    expect(before.ok).to.equal(true);
    expect(before.files.length).to.be.greaterThan(1);
    // Swap two lines of the second file.
    const file = join(auditDir(b), before.files[1]!);
    const lines = (await readFile(file, 'utf8')).split('\n').slice(0, -1);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    await writeFile(file, lines.map((l) => l + '\n').join(''));
    const after = await get<{ ok: boolean; problem: Record<string, unknown> }>(
      b,
      '/api/monitoring/audit/verify',
    );
    expect(after.ok).to.equal(false);
    expect(after.problem).to.include({ code: 'AUDIT_REORDERED', file: before.files[1], line: 2 });
  });
});
