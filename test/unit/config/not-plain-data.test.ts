/**
 * Values no configuration can hold (functions, symbols) are reported as configuration errors. Found by the
 * parser fuzz suite: they escaped as an uncoded DataCloneError from structuredClone.
 */
import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { resolveConfig } from '../../../core/config/load-config.js';
import { isOpenRedError } from '../../../core/errors.js';

describe('config: values that are not plain data', () => {
  for (const [what, value] of [
    ['a function', () => 1],
    ['a symbol', Symbol('x')],
  ] as const) {
    it(`a module setting holding ${what} is OR_ERR_CONFIG`, () => {
      let err: unknown;
      try {
        resolveConfig({ modules: { messaging: { hook: value } } } as never, tmpdir(), {});
      } catch (e) {
        err = e;
      }
      expect(isOpenRedError(err), String(err)).to.equal(true);
      expect(err).to.include({ code: 'OR_ERR_CONFIG' });
      expect((err as Error).message).to.match(/^invalid config: not plain data/);
    });
  }
});
