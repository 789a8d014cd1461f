import { expect } from 'chai';
import { definePlugin } from '@openred/plugin-sdk';
import { checkDefinition } from '../../../core/plugins/loader.js';
import { firstSegmentOf, requestSegment } from '../../../core/plugins/route-path.js';
import type { PluginManifest } from '../../../core/plugins/manifest.js';

const manifest: PluginManifest = {
  package: 'openred-plugin-x',
  version: '1.0.0',
  name: 'x',
  entry: './index.ts',
  dir: '/plugins/x',
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('plugins/definition checks', () => {
  it('accepts definePlugin output whose name matches the manifest', () => {
    const def = definePlugin({ name: 'x', version: '1.0.0', setup() {} });
    expect(checkDefinition(manifest, def)).to.equal(def);
  });

  it('refuses what is not a plugin definition', () => {
    expect(codeOf(() => checkDefinition(manifest, undefined))).to.match(
      /^OR_ERR_PLUGIN_INVALID: plugin x: .*must export default definePlugin/,
    );
    expect(codeOf(() => checkDefinition(manifest, { name: 'x' }))).to.match(/OR_ERR_PLUGIN_INVALID/);
  });

  it('refuses a name that differs from package.json', () => {
    expect(
      codeOf(() => checkDefinition(manifest, definePlugin({ name: 'y', version: '1.0.0', setup() {} }))),
    ).to.contain('definePlugin name "y" differs from package.json openred.name "x"');
  });

  it('refuses a bad version, dependsOn or config', () => {
    const bad = (extra: object) => ({ name: 'x', version: '1.0.0', setup() {}, ...extra });
    expect(codeOf(() => checkDefinition(manifest, bad({ version: 'v1' })))).to.contain('semantic version');
    expect(codeOf(() => checkDefinition(manifest, bad({ dependsOn: 'a' })))).to.contain('dependsOn');
    expect(codeOf(() => checkDefinition(manifest, bad({ dependsOn: [1] })))).to.contain('dependsOn');
    expect(codeOf(() => checkDefinition(manifest, bad({ config: 'x' })))).to.contain('JSON Schema');
  });

  it('route paths must start with a literal segment (the dispatcher selects plugins by it)', () => {
    expect(firstSegmentOf('x', '/files/:id')).to.equal('files');
    expect(firstSegmentOf('x', '/health')).to.equal('health');
    expect(codeOf(() => firstSegmentOf('x', '/:id'))).to.match(/OR_ERR_PLUGIN_ROUTE.*literal/);
    expect(codeOf(() => firstSegmentOf('x', 'files'))).to.match(/must start with "\/"/);
    expect(codeOf(() => firstSegmentOf('x', '/'))).to.match(/OR_ERR_PLUGIN_ROUTE/);
  });

  it('extracts the first segment of a request path under a surface prefix', () => {
    expect(requestSegment('/p2p/message', 4)).to.equal('message');
    expect(requestSegment('/p2p/files/abc/def', 4)).to.equal('files');
    expect(requestSegment('/api', 4)).to.equal('');
    expect(requestSegment('/api/', 4)).to.equal('');
  });
});
