/**
 * A manifest object holding a function is refused as an invalid manifest (found by the parser fuzz suite:
 * an uncoded DataCloneError escaped from structuredClone).
 */
import { expect } from 'chai';
import { isOpenRedError } from '../../../core/errors.js';
import { parseManifest } from '../../../core/plugins/manifest.js';

describe('plugin manifest: values that are not plain data', () => {
  it('is OR_ERR_PLUGIN_MANIFEST', () => {
    let err: unknown;
    try {
      parseManifest({ name: 'p', version: '1.0.0', openred: { name: 'p', entry: () => './index.ts' } }, '/p');
    } catch (e) {
      err = e;
    }
    expect(isOpenRedError(err), String(err)).to.equal(true);
    expect(err).to.include({ code: 'OR_ERR_PLUGIN_MANIFEST' });
  });
});
