import { expect } from 'chai';
import { definePlugin, type PluginDefinition } from '@openred/plugin-sdk';
import { validatePluginConfig } from '../../../core/plugins/plugin-host.js';

const messaging = definePlugin({
  name: 'messaging',
  version: '1.0.0',
  config: {
    type: 'object',
    additionalProperties: false,
    properties: {
      retry: {
        type: 'object',
        default: {},
        additionalProperties: false,
        properties: {
          maxAttempts: { type: 'integer', minimum: 1, default: 5 },
          backoffMs: { type: 'integer', minimum: 0, default: 1000 },
        },
      },
      maxInbox: { type: 'integer', minimum: 1, default: 100 },
    },
  } as const,
  setup() {},
}) as unknown as PluginDefinition;

function errorOf(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected an error');
}

describe('config/plugin module settings (validatePluginConfig)', () => {
  it('applies the plugin schema defaults, nested ones included', () => {
    expect(validatePluginConfig('messaging', messaging, {})).to.deep.equal({
      retry: { maxAttempts: 5, backoffMs: 1000 },
      maxInbox: 100,
    });
  });

  it('does not modify the settings object from the config', () => {
    const user = { retry: {} };
    validatePluginConfig('messaging', messaging, user);
    expect(user).to.deep.equal({ retry: {} });
  });

  it('names every problem with its path under modules.<plugin>', () => {
    const err = errorOf(() =>
      validatePluginConfig('messaging', messaging, { retry: { maxAttempts: 0 }, maxInbox: 'many', extra: 1 }),
    );
    expect(err.code).to.equal('OR_ERR_CONFIG');
    expect(err.message).to.contain('modules.messaging.retry.maxAttempts must be >= 1');
    expect(err.message).to.contain('modules.messaging.maxInbox must be integer');
    expect(err.message).to.contain('modules.messaging.extra is not allowed');
  });

  it('accepts anything JSON when the plugin declares no schema', () => {
    const def = { name: 'free', version: '1.0.0', setup() {} } as PluginDefinition;
    expect(validatePluginConfig('free', def, { a: [1, 2] })).to.deep.equal({ a: [1, 2] });
  });

  it('a plugin whose schema is itself invalid gets a clear error', () => {
    const def = {
      name: 'odd',
      version: '1.0.0',
      config: { type: 'object', properties: { a: { type: 'not-a-type' } } },
      setup() {},
    } as unknown as PluginDefinition;
    const err = errorOf(() => validatePluginConfig('odd', def, {}));
    expect(err.code).to.equal('OR_ERR_PLUGIN_INVALID');
    expect(err.message).to.match(/plugin odd: invalid config schema/);
  });

  it('compiles an unchanged schema once across reloads (each reload brings a new schema object)', () => {
    const copy = (): PluginDefinition => ({ ...messaging, config: structuredClone(messaging.config) });
    const a = copy();
    const b = copy();
    // Both validate the same way; a changed schema is taken into account.
    expect(validatePluginConfig('messaging', a, {})).to.deep.equal(validatePluginConfig('messaging', b, {}));
    const changed = copy();
    (changed.config as { properties: { maxInbox: { default: number } } }).properties.maxInbox.default = 7;
    expect((validatePluginConfig('messaging', changed, {}) as { maxInbox: number }).maxInbox).to.equal(7);
  });
});
