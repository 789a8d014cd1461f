import { expect } from 'chai';
import { join } from 'node:path';
import { repoRoot, startNode, Workspace, type TestNode } from '../../helpers/node-harness.js';

describe('node: the four module plugins of the repository', () => {
  let ws: Workspace;
  let t: TestNode;

  before(async () => {
    ws = await Workspace.create();
    t = await startNode(ws, {
      config: {
        plugins: { dirs: [join(repoRoot, 'plugins')], hotReload: false },
        modules: { messaging: { maxInbox: 10 } },
      },
    });
  });

  after(async () => {
    await t?.stop();
    await ws?.cleanup();
  });

  it('all load and are active', async () => {
    const { plugins, invalid } = await t.plugins();
    expect(invalid).to.deep.equal([]);
    const active = plugins.filter((p) => p.state === 'active').map((p) => p.name);
    expect(active).to.include.members(['authentication', 'file-sharing', 'messaging', 'monitoring']);
  });

  it('monitoring reports health with every plugin, its version and state', async () => {
    const r = await t.request('api', '/api/monitoring/health');
    expect(r.status).to.equal(200);
    const body = r.json as {
      status: string;
      plugins: Array<{ name: string; version: string; state: string }>;
    };
    expect(body.status).to.equal('ok');
    const messaging = body.plugins.find((p) => p.name === 'messaging');
    expect(messaging).to.include({ state: 'active' });
    expect(messaging!.version).to.match(/^\d+\.\d+\.\d+/);
  });

  it('each module answers on its owner route', async () => {
    expect((await t.request('api', '/api/auth/status')).json).to.deep.equal({
      configured: false,
      webauthn: false,
    });
    expect((await t.request('api', '/api/messages')).json).to.deep.equal({ messages: [] });
    expect((await t.request('api', '/api/files')).json).to.deep.equal({ shares: [] });
  });

  it('their peer routes sit behind the session layer', async () => {
    const r = await t.request('p2p', '/p2p/message', {
      method: 'POST',
      json: { id: 'abcdefgh', body: 'hi', sent_at: 1 },
    });
    expect(r.status).to.equal(401);
  });
});
