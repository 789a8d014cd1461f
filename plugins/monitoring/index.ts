import { definePlugin } from '@openred/plugin-sdk';

interface KernelStatus {
  (): Record<string, unknown>;
}
interface PluginList {
  (): Array<{ name: string; version: string | null; state: string; lastError: string | null }>;
}

/**
 * Monitoring: node health for the owner. Later versions add Prometheus metrics and the signed audit log.
 */
export default definePlugin({
  name: 'monitoring',
  version: '1.0.0',
  description: 'Health, metrics and the audit log.',
  setup(ctx) {
    ctx.api.get('/monitoring/health', { summary: 'Component states and loaded plugins' }, () => {
      const status = ctx.service<KernelStatus>('kernel.status')();
      const plugins = ctx.service<PluginList>('kernel.plugins')();
      const failed = plugins.filter((p) => p.state === 'failed');
      return {
        status: failed.length === 0 ? 'ok' : 'degraded',
        node: status,
        plugins: plugins.map((p) => ({
          name: p.name,
          version: p.version,
          state: p.state,
          last_error: p.lastError,
        })),
      };
    });
  },
});
