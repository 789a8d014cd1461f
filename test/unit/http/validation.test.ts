import { expect } from 'chai';
import { assertValid, compile } from '../../../core/http/validation.js';
import { ValidationError } from '../../../core/errors.js';

describe('http/validation', () => {
  const schema = {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'retry'],
    properties: {
      id: { type: 'string', minLength: 3 },
      retry: {
        type: 'object',
        properties: { maxAttempts: { type: 'integer', minimum: 1 } },
      },
      mode: { type: 'string', default: 'fast' },
    },
  } as const;

  it('lists every problem with its path, rooted at the part of the request', () => {
    let error: ValidationError | undefined;
    try {
      assertValid(schema, { id: 'x', retry: { maxAttempts: 0 }, junk: 1 }, 'body');
    } catch (err) {
      error = err as ValidationError;
    }
    expect(error).to.be.instanceOf(ValidationError);
    expect(error!.status).to.equal(400);
    expect(error!.code).to.equal('OR_ERR_VALIDATION');
    expect(error!.details).to.have.members([
      'body/id must NOT have fewer than 3 characters',
      'body/retry/maxAttempts must be >= 1',
      'body/junk is not allowed',
    ]);
    expect(() => assertValid(schema, {}, 'body')).to.throw(/body\/id is required; body\/retry is required/);
  });

  it('applies defaults and returns the value', () => {
    expect(assertValid(schema, { id: 'abc', retry: {} })).to.deep.equal({
      id: 'abc',
      retry: {},
      mode: 'fast',
    });
  });

  it('reuses the validator of a schema with the same content (hot reload hands over new objects)', () => {
    expect(compile(structuredClone(schema))).to.equal(compile(structuredClone(schema)));
    expect(compile({ ...schema, required: ['id'] })).not.to.equal(compile(schema));
  });

  it('a changed schema with the same $id compiles again (no "already exists")', () => {
    const v1 = compile({ $id: 'https://openred.test/schemas/thing', type: 'string' });
    const v2 = compile({ $id: 'https://openred.test/schemas/thing', type: 'integer' });
    expect(v1('a')).to.equal(true);
    expect(v2('a')).to.equal(false);
    expect(v2(1)).to.equal(true);
  });

  it('refuses an invalid schema when compiled (strict mode)', () => {
    expect(() => compile({ type: 'object', properties: { a: { type: 'strnig' } } })).to.throw();
  });
});
