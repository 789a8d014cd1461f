import { expect } from 'chai';
import { markerPlugin, startNode, Workspace, type TestNode } from '../../helpers/node-harness.js';

const plugin = (
  name: string,
  body: string,
  extra = '',
) => `import { definePlugin } from '@openred/plugin-sdk';
export default definePlugin({ name: ${JSON.stringify(name)}, version: '1.0.0', ${extra}
  setup(ctx) { ${body} } });
`;

describe('node: plugins that fail do not take the node down', () => {
  let ws: Workspace;
  let t: TestNode;
  let list: Awaited<ReturnType<TestNode['plugins']>>;
  const byName = (name: string) => list.plugins.find((p) => p.name === name);

  before(async () => {
    ws = await Workspace.create();
    await ws.writePlugin('healthy', markerPlugin('healthy', 'ok'));
    // Broken manifests: reported, never loaded.
    await ws.writePlugin('bad-json', { source: markerPlugin('bad-json', 1), manifest: '{ "name": ' });
    await ws.writePlugin('bad-manifest', {
      source: markerPlugin('bad-manifest', 1),
      manifest: { name: 'x', version: 'one', openred: { name: 'Bad Name' } },
    });
    // Fails in setup, sync and async.
    await ws.writePlugin(
      'throws',
      plugin('throws', `ctx.api.get('/throws', () => 1); throw new Error('setup exploded');`),
    );
    await ws.writePlugin(
      'rejects',
      plugin('rejects', `await Promise.resolve(); throw new Error('async setup exploded');`).replace(
        'setup(ctx)',
        'async setup(ctx)',
      ),
    );
    // Code that does not even load.
    await ws.writePlugin('syntax', 'export default definePlugin({ name: "syntax", ');
    await ws.writePlugin('no-default', `export const x = 1;\n`);
    await ws.writePlugin('misnamed', plugin('something-else', ''));
    // Bad declarations.
    await ws.writePlugin('bad-route', plugin('bad-route', `ctx.api.get('/:id', () => 1);`));
    await ws.writePlugin(
      'bad-schema',
      plugin('bad-schema', `ctx.api.post('/bad-schema', { body: { type: 'nope' } }, () => 1);`),
    );
    await ws.writePlugin(
      'twice',
      plugin('twice', `ctx.api.get('/twice', () => 1); ctx.api.get('/twice', () => 2);`),
    );
    await ws.writePlugin(
      'bad-config',
      plugin(
        'bad-config',
        '',
        `config: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } },`,
      ),
    );
    // Dependencies.
    await ws.writePlugin('needs-ghost', plugin('needs-ghost', '', `dependsOn: ['ghost'],`));
    await ws.writePlugin('cycle-a', plugin('cycle-a', '', `dependsOn: ['cycle-b'],`));
    await ws.writePlugin('cycle-b', plugin('cycle-b', '', `dependsOn: ['cycle-a'],`));
    await ws.writePlugin('needs-throws', plugin('needs-throws', '', `dependsOn: ['throws'],`));
    await ws.writePlugin(
      'provider',
      plugin('provider', `ctx.provide('greeting', (who: string) => 'hello ' + who);`),
    );
    await ws.writePlugin(
      'consumer',
      plugin(
        'consumer',
        `const greet = ctx.service<(w: string) => string>('greeting'); ctx.api.get('/consumer', () => ({ said: greet('node') }));`,
        `dependsOn: ['provider'],`,
      ),
    );
    await ws.writePlugin('switched-off', markerPlugin('switched-off', 1));
    t = await startNode(ws, {
      config: { modules: { 'bad-config': { n: 0 }, 'switched-off': { enabled: false } } },
    });
    list = await t.plugins();
  });

  after(async () => {
    await t?.stop();
    await ws?.cleanup();
  });

  it('the node starts and serves the healthy plugins', async () => {
    expect((await t.request('api', '/api/healthy')).json).to.deep.equal({ plugin: 'healthy', marker: 'ok' });
    expect(byName('healthy')).to.include({ state: 'active', lastError: null });
  });

  it('reports invalid manifests (with the file problem) and does not load them', () => {
    const invalid = Object.fromEntries(list.invalid.map((i) => [i.dir.split('/').pop(), i.error]));
    expect(invalid['bad-json']).to.match(/package\.json is not valid JSON/);
    expect(invalid['bad-manifest']).to.contain('package.json.version must match pattern');
    expect(invalid['bad-manifest']).to.contain('package.json.openred.name must match pattern');
    expect(list.plugins.map((p) => p.name)).not.to.include.members(['bad-json', 'bad-manifest']);
  });

  it('a plugin that throws in setup is failed, with the reason, and none of its routes are served', async () => {
    expect(byName('throws')).to.include({ state: 'failed', lastError: 'setup exploded' });
    expect(byName('rejects')).to.include({ state: 'failed', lastError: 'async setup exploded' });
    expect((await t.request('api', '/api/throws')).status).to.equal(404);
  });

  it('code that does not load is reported with the file', () => {
    expect(byName('syntax')!.state).to.equal('failed');
    expect(byName('syntax')!.lastError).to.contain(ws.pluginDir('syntax') + '/index.ts');
    expect(byName('no-default')!.lastError).to.contain('must export default definePlugin');
    expect(byName('misnamed')!.lastError).to.contain('definePlugin name "something-else" differs');
  });

  it('bad declarations fail setup with a clear reason', () => {
    expect(byName('bad-route')!.lastError).to.match(/first path segment must be a literal/);
    expect(byName('bad-schema')!.lastError).to.match(/invalid body schema/);
    expect(byName('twice')!.lastError).to.match(/declared twice/);
  });

  it('module settings that fail the plugin schema are reported with their path', () => {
    expect(byName('bad-config')).to.include({ state: 'failed' });
    expect(byName('bad-config')!.lastError).to.contain('modules.bad-config.n must be >= 1');
  });

  it('dependency problems name the plugins involved', () => {
    expect(byName('needs-ghost')!.lastError).to.contain('depends on ghost, which is not enabled or failed');
    expect(byName('cycle-a')!.lastError).to.match(
      /plugin dependency cycle: cycle-(a|b) -> cycle-(a|b) -> cycle-(a|b)/,
    );
    expect(byName('cycle-b')!.state).to.equal('failed');
    expect(byName('needs-throws')!.lastError).to.contain('dependency throws is not running');
  });

  it('dependencies are set up first, so a plugin can use the services of the ones it depends on', async () => {
    expect((await t.request('api', '/api/consumer')).json).to.deep.equal({ said: 'hello node' });
  });

  it('a module disabled in the config is listed as disabled and not served', async () => {
    expect(byName('switched-off')!.state).to.equal('disabled');
    expect((await t.request('api', '/api/switched-off')).status).to.equal(404);
  });

  it('node status counts active plugins and names the failed ones', async () => {
    const status = (await t.request('api', '/api/node/status')).json as {
      plugins: { active: number; failed: string[] };
    };
    expect(status.plugins.active).to.equal(3);
    expect(status.plugins.failed).to.include.members([
      'throws',
      'rejects',
      'syntax',
      'cycle-a',
      'needs-ghost',
    ]);
  });
});
