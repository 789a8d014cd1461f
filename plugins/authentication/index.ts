import { definePlugin } from '@openred/plugin-sdk';

/**
 * Authentication: owner login (password + TOTP) and peer challenge-response. This version reports whether
 * owner credentials are configured.
 */
export default definePlugin({
  name: 'authentication',
  version: '1.0.0',
  description: 'Owner login (password + TOTP) and peer challenge-response.',
  async setup(ctx) {
    const owner = await ctx.storage.collection<{ configured: boolean }>('owner', { configured: false });
    ctx.api.get('/auth/status', { public: true, summary: 'Whether owner login is set up' }, () => ({
      configured: owner.data.configured,
    }));
  },
});
