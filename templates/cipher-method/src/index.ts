import { definePlugin } from '@openred/plugin-sdk';
import { method } from './method.js';
import { vectors } from './vectors.js';

/** {{description}} */
export default definePlugin({
  name: '{{pluginName}}',
  version: '0.1.0',
  description: '{{description}}',
  setup(ctx) {
    // The node runs the conformance gate (these vectors, a round trip, tamper rejection) before enabling the
    // method; a failure fails this plugin's setup and nothing is registered. Sessions negotiate the method
    // only where the operator lists its id in `crypto.methods`.
    ctx.ciphers.register(method, { vectors });
    // @if api

    // GET /api/{{pluginName}}/method — which method this plugin offers.
    ctx.api.get('/{{pluginName}}/method', { summary: 'The cipher method offered' }, () => ({
      id: method.id,
      keyLength: method.keyLength,
      nonceLength: method.nonceLength,
    }));
    // @endif
  },
});
