import { expect } from 'chai';
import { inject, injectable } from 'tsyringe';
import { ManualClock, type Clock } from '../../../core/kernel/clock.js';
import { Tokens } from '../../../core/kernel/tokens.js';
import type { OpenRedConfig } from '../../../core/config/types.js';
import { PLUGIN_CONTEXT } from '../../../core/plugins/plugin-host.js';
import type { PluginGeneration } from '../../../core/plugins/generation.js';
import type { PluginContext } from '@openred/plugin-sdk';
import { markerPlugin, pollUntil, startNode, Workspace, type TestNode } from '../../helpers/node-harness.js';

@injectable()
class NeedsKernel {
  constructor(
    @inject(Tokens.Clock) readonly clock: Clock,
    @inject(Tokens.Config) readonly config: OpenRedConfig,
  ) {}
}

describe('kernel/container', () => {
  let ws: Workspace;
  let t: TestNode;
  const clock = new ManualClock();

  before(async () => {
    ws = await Workspace.create();
    await ws.writePlugin('alpha', markerPlugin('alpha', 1));
    await ws.writePlugin('beta', markerPlugin('beta', 1));
    t = await startNode(ws, { clock });
  });

  after(async () => {
    await t?.stop();
    await ws?.cleanup();
  });

  const generations = (): readonly PluginGeneration[] => t.node.dispatcher.table.generations;

  it('resolves kernel services by token (explicit @inject, no emitted metadata needed)', () => {
    const svc = t.node.container.resolve(NeedsKernel);
    expect(svc.clock).to.equal(clock);
    expect(svc.config).to.equal(t.node.config);
  });

  it('gives every plugin its own child container holding its own PluginContext', () => {
    const gens = generations();
    expect(gens.map((g) => g.plugin).sort()).to.deep.equal(['alpha', 'beta']);
    for (const g of gens) {
      const ctx = g.container.resolve<PluginContext>(PLUGIN_CONTEXT);
      expect(ctx.name).to.equal(g.plugin);
      // Kernel services come from the parent.
      expect(g.container.resolve(Tokens.Clock)).to.equal(clock);
    }
    expect(gens[0]!.container).not.to.equal(gens[1]!.container);
    expect(t.node.container.isRegistered(PLUGIN_CONTEXT, true)).to.equal(false);
  });

  it('disposes the old child container when a plugin is reloaded, and builds a new one', async () => {
    const old = generations().find((g) => g.plugin === 'alpha')!;
    const untouched = generations().find((g) => g.plugin === 'beta')!;
    await t.node.host.reload('alpha');
    const fresh = generations().find((g) => g.plugin === 'alpha')!;
    expect(fresh).not.to.equal(old);
    expect(old.disposed).to.equal(true);
    // Teardown is asynchronous (it waits for the old version's requests): wait for it, bounded.
    const error = await pollUntil(() => {
      try {
        old.container.resolve(PLUGIN_CONTEXT);
        return undefined;
      } catch (err) {
        return err as Error;
      }
    });
    expect(error.message).to.match(/disposed/);
    expect(fresh.container.resolve<PluginContext>(PLUGIN_CONTEXT).name).to.equal('alpha');
    expect(generations().find((g) => g.plugin === 'beta')).to.equal(untouched);
    expect(untouched.disposed).to.equal(false);
  });
});
