/**
 * Kernel owner routes the web console uses: the directory's members, and switching a plugin on and off.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';
import { repoRoot, startNode, Workspace, type TestNode } from '../../helpers/node-harness.js';

describe('node: directory listing and plugin switch (owner API)', function () {
  this.timeout(30_000);
  let ws: Workspace;
  let t: TestNode;
  const post = (path: string, json: unknown) => t.request('api', path, { method: 'POST', json });
  const code = (r: { json: unknown }) => (r.json as { error?: { code?: string } }).error?.code;

  before(async () => {
    ws = await Workspace.create();
    t = await startNode(ws, {
      config: {
        directory: { embedded: { host: '127.0.0.1', port: await freePort(), allowLoopback: true } },
        plugins: { dirs: [join(repoRoot, 'plugins')], hotReload: false },
        modules: { console: { enabled: false } },
      },
    });
  });

  after(async () => {
    await t?.stop();
    await ws?.cleanup();
  });

  it('GET /api/peers/directory lists the members with their status', async () => {
    const r = await t.request('api', '/api/peers/directory');
    expect(r.status).to.equal(200);
    const nodes = (r.json as { nodes: Array<{ node_id: string; status: string }> }).nodes;
    expect(nodes.find((n) => n.node_id === t.node.id)).to.include({ status: 'active' });
  });

  it('POST /api/node/plugins/:name/enabled switches a plugin off (its routes go) and on again', async () => {
    const off = await post('/api/node/plugins/messaging/enabled', { enabled: false });
    expect(off.status).to.equal(200);
    expect(off.json).to.include({ name: 'messaging', state: 'disabled' });
    expect((await t.request('api', '/api/messages/stats')).status).to.equal(404);
    const on = await post('/api/node/plugins/messaging/enabled', { enabled: true });
    expect(on.json).to.include({ name: 'messaging', state: 'active' });
    expect((await t.request('api', '/api/messages/stats')).status).to.equal(200);
  });

  it('refuses to switch off authentication, unknown plugins and malformed bodies', async () => {
    const auth = await post('/api/node/plugins/authentication/enabled', { enabled: false });
    expect([auth.status, code(auth)]).to.deep.equal([409, 'OR_ERR_PLUGIN_REQUIRED']);
    const unknown = await post('/api/node/plugins/nope/enabled', { enabled: true });
    expect([unknown.status, code(unknown)]).to.deep.equal([404, 'OR_ERR_PLUGIN_UNKNOWN']);
    const bad = await post('/api/node/plugins/messaging/enabled', { enabled: 'yes' });
    expect(bad.status).to.equal(400);
  });
});
