/**
 * Directory options holding a function are a configuration error (found by the parser fuzz suite: an
 * uncoded DataCloneError escaped from structuredClone).
 */
import { expect } from 'chai';
import { resolveDirectoryOptions } from '../../../core/directory/options.js';
import { isOpenRedError } from '../../../core/errors.js';

describe('directory options: values that are not plain data', () => {
  it('a function among the options is OR_ERR_CONFIG', () => {
    let err: unknown;
    try {
      resolveDirectoryOptions({ presence: { activeSeconds: () => 60 } } as never);
    } catch (e) {
      err = e;
    }
    expect(isOpenRedError(err), String(err)).to.equal(true);
    expect(err).to.include({ code: 'OR_ERR_CONFIG' });
  });
});
