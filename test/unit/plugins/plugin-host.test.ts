import { expect } from 'chai';
import { resolveConfig } from '../../../core/config/load-config.js';
import { ManualClock } from '../../../core/kernel/clock.js';
import { EventBus } from '../../../core/kernel/event-bus.js';
import { silentLogger } from '../../../core/kernel/logger.js';
import { ServiceRegistry } from '../../../core/kernel/service-registry.js';
import { Dispatcher } from '../../../core/p2p/dispatcher.js';
import { PluginHost } from '../../../core/plugins/plugin-host.js';
import { PluginStorageRoot } from '../../../core/storage/plugin-storage.js';
import { pollUntil, Workspace } from '../../helpers/node-harness.js';

const never = (): never => {
  throw new Error('no peers in this test');
};

const g = globalThis as unknown as { __openredLate?: string[] };

const plugin = (name: string, setup: string) => `import { definePlugin } from '@openred/plugin-sdk';
export default definePlugin({ name: ${JSON.stringify(name)}, version: '1.0.0', ${setup} });
`;

describe('plugins/plugin-host setup time limit', () => {
  let ws: Workspace;
  let host: PluginHost;

  before(async () => {
    ws = await Workspace.create();
    g.__openredLate = [];
    await ws.writePlugin('fine', plugin('fine', `setup(ctx) { ctx.api.get('/fine', () => ({})); }`));
    await ws.writePlugin('hangs', plugin('hangs', `setup() { return new Promise(() => undefined); }`));
    await ws.writePlugin(
      'late',
      plugin(
        'late',
        `async setup(ctx) {
          const log = (globalThis as any).__openredLate;
          await new Promise((r) => setTimeout(r, 400));
          try { ctx.api.get('/late', () => ({})); } catch (err) { log.push('refused: ' + (err as Error).message); }
          return () => { log.push('teardown'); };
        }`,
      ),
    );
    const log = silentLogger();
    host = new PluginHost({
      dispatcher: new Dispatcher(log),
      ciphers: { register: () => undefined, unregister: () => undefined },
      log,
      nodeModules: [],
      setupTimeoutMs: 200,
      runtime: {
        log,
        clock: new ManualClock(),
        events: new EventBus(log),
        services: new ServiceRegistry(),
        storage: new PluginStorageRoot(ws.dataDir),
        peers: { request: async () => never(), connect: async () => never(), sessions: () => [] },
        node: { id: 'node', publicKeys: { x25519: '', ed25519: '' }, dataDir: ws.dataDir },
        checkCipher: () => undefined,
        deriveKey: async () => never(),
      },
    });
  });

  after(async () => {
    await host?.stop();
    await ws?.cleanup();
    delete g.__openredLate;
  });

  it('a setup that never finishes fails the plugin instead of stalling the host', async () => {
    const config = resolveConfig(ws.baseConfig(), ws.dir, {}).config;
    await host.start(config);
    const byName = Object.fromEntries(host.list().map((p) => [p.name, p]));
    expect(byName.fine!.state).to.equal('active');
    expect(byName.hangs).to.include({
      state: 'failed',
      lastError: 'plugin hangs: setup() did not finish within 200 ms',
    });
    expect(byName.late!.state).to.equal('failed');
  });

  it('a setup that finishes after the limit has its declarations refused and its teardown run', async () => {
    await pollUntil(() => g.__openredLate!.includes('teardown'), { what: 'the late teardown' });
    expect(g.__openredLate![0]).to.match(/^refused: .*after setup\(\) finished/);
    expect(host.list().find((p) => p.name === 'late')!.state).to.equal('failed');
  });
});
