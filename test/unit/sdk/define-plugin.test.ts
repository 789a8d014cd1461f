import { expect } from 'chai';
import { definePlugin, errors, isPluginDefinition, PluginHttpError } from '@openred/plugin-sdk';
import { isOpenRedError } from '../../../core/errors.js';

describe('sdk/definePlugin and errors', () => {
  it('returns the definition unchanged, branded', () => {
    const setup = () => undefined;
    const def = definePlugin({ name: 'hello', version: '1.0.0', setup });
    expect(def.name).to.equal('hello');
    expect(def.setup).to.equal(setup);
    expect(isPluginDefinition(def)).to.equal(true);
    expect(Object.keys(def)).to.deep.equal(['name', 'version', 'setup']); // the brand is not enumerable
  });

  it('recognises a definition made by another copy of the SDK (global symbol brand)', () => {
    const foreign = { name: 'x', version: '1.0.0', setup() {} };
    expect(isPluginDefinition(foreign)).to.equal(false);
    Object.defineProperty(foreign, Symbol.for('openred.plugin'), { value: true });
    expect(isPluginDefinition(foreign)).to.equal(true);
    expect(isPluginDefinition(null)).to.equal(false);
  });

  it('types ctx.config from the JSON Schema (compile-time) and keeps the schema', () => {
    const def = definePlugin({
      name: 'typed',
      version: '1.0.0',
      config: {
        type: 'object',
        properties: { greeting: { type: 'string', default: 'hi' } },
        required: ['greeting'],
      } as const,
      setup(ctx) {
        const greeting: string = ctx.config.greeting;
        void greeting;
      },
    });
    expect(def.config).to.deep.include({ type: 'object' });
  });

  it('errors carry code, status and the kernel brand, and serialise without a stack', () => {
    const cases: Array<[PluginHttpError, number]> = [
      [errors.badRequest('OR_ERR_X', 'x', { field: 'a' }), 400],
      [errors.unauthorized('OR_ERR_X', 'x'), 401],
      [errors.forbidden('OR_ERR_X', 'x'), 403],
      [errors.notFound('OR_ERR_X', 'x'), 404],
      [errors.conflict('OR_ERR_X', 'x'), 409],
      [errors.gone('OR_ERR_X', 'x'), 410],
      [errors.tooLarge('OR_ERR_X', 'x'), 413],
      [errors.unavailable('OR_ERR_X', 'x'), 503],
    ];
    for (const [err, status] of cases) {
      expect(err).to.be.instanceOf(PluginHttpError);
      expect(err.status).to.equal(status);
      expect(isOpenRedError(err)).to.equal(true);
      expect(JSON.parse(JSON.stringify(err))).to.deep.equal({ code: 'OR_ERR_X', message: 'x' });
    }
    expect(errors.badRequest('OR_ERR_X', 'x', { field: 'a' }).details).to.deep.equal({ field: 'a' });
  });
});
