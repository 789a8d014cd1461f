import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPlugins } from '../../../core/plugins/discovery.js';
import { parseManifest, readManifest } from '../../../core/plugins/manifest.js';

const valid = { name: 'openred-plugin-hello', version: '1.2.3', openred: { name: 'hello' } };

function manifestError(pkg: unknown): string {
  try {
    parseManifest(pkg, '/plugins/x');
  } catch (err) {
    expect((err as { code: string }).code).to.equal('OR_ERR_PLUGIN_MANIFEST');
    return (err as Error).message;
  }
  throw new Error('expected an invalid manifest');
}

describe('plugins/manifest', () => {
  it('reads name, version, plugin name, and defaults the entry to ./index.ts', () => {
    expect(parseManifest(valid, '/plugins/hello')).to.deep.equal({
      package: 'openred-plugin-hello',
      version: '1.2.3',
      name: 'hello',
      entry: './index.ts',
      dir: '/plugins/hello',
    });
  });

  it('reports every problem with its path', () => {
    const msg = manifestError({ name: '', version: 'one', openred: { name: 'Hello World', extra: 1 } });
    expect(msg).to.contain('package.json.name must NOT have fewer than 1 characters');
    expect(msg).to.contain('package.json.version must match pattern');
    expect(msg).to.contain('package.json.openred.name must match pattern');
    expect(msg).to.contain('package.json.openred.extra is not allowed');
  });

  it('requires name, version and openred.name', () => {
    expect(manifestError({ openred: {} })).to.contain('package.json.name is required');
    expect(manifestError({ openred: {} })).to.contain('package.json.version is required');
    expect(manifestError({ openred: {} })).to.contain('package.json.openred.name is required');
  });

  it('refuses an entry that leaves the plugin folder or is not a script', () => {
    expect(manifestError({ ...valid, openred: { name: 'x', entry: '../evil.ts' } })).to.match(
      /must stay inside the plugin folder/,
    );
    expect(manifestError({ ...valid, openred: { name: 'x', entry: './index.json' } })).to.contain(
      'package.json.openred.entry must match pattern',
    );
  });

  describe('on disk', () => {
    let root: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'openred-manifest-'));
      const put = async (dir: string, pkg: unknown | string): Promise<void> => {
        await mkdir(join(root, dir), { recursive: true });
        await writeFile(join(root, dir, 'package.json'), typeof pkg === 'string' ? pkg : JSON.stringify(pkg));
      };
      await put('plugins/good', { ...valid, openred: { name: 'good' } });
      await put('plugins/also-good', { ...valid, openred: { name: 'also-good', entry: 'main.mts' } });
      await put('plugins/not-json', '{ nope');
      await put('plugins/bad-manifest', { ...valid, openred: { name: 'BAD' } });
      await put('plugins/not-a-plugin', { name: 'lib', version: '1.0.0' });
      await put('plugins/zz-dup', { ...valid, openred: { name: 'good' } });
      await mkdir(join(root, 'plugins/no-package'), { recursive: true });
      await put('plugins/.hidden', { ...valid, openred: { name: 'hidden' } });
      await put('node_modules/openred-plugin-pkg', { ...valid, openred: { name: 'pkg' } });
      await put('node_modules/@acme/openred-plugin-scoped', { ...valid, openred: { name: 'scoped' } });
      await put('node_modules/unrelated', { ...valid, openred: { name: 'unrelated' } });
    });
    after(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('readManifest returns undefined for folders that are not plugins', async () => {
      expect(await readManifest(join(root, 'plugins/not-a-plugin'))).to.equal(undefined);
      expect(await readManifest(join(root, 'plugins/no-package'))).to.equal(undefined);
    });

    it('readManifest names the file when package.json is not JSON', async () => {
      let error: unknown;
      await readManifest(join(root, 'plugins/not-json')).catch((err: unknown) => (error = err));
      expect((error as Error).message).to.contain(join(root, 'plugins/not-json/package.json'));
    });

    it('discovery finds plugin folders and openred-plugin-* packages, and reports the broken ones', async () => {
      const { found, invalid } = await discoverPlugins([join(root, 'plugins')], [join(root, 'node_modules')]);
      expect(found.map((m) => m.name).sort()).to.deep.equal(['also-good', 'good', 'pkg', 'scoped']);
      const byDir = Object.fromEntries(invalid.map((i) => [i.dir.slice(root.length + 1), i.error]));
      expect(Object.keys(byDir).sort()).to.deep.equal([
        'plugins/bad-manifest',
        'plugins/not-json',
        'plugins/zz-dup',
      ]);
      expect(byDir['plugins/zz-dup']).to.contain('plugin name good already provided by');
      expect(byDir['plugins/bad-manifest']).to.contain('package.json.openred.name must match pattern');
    });

    it('a missing plugin folder is simply empty', async () => {
      expect(await discoverPlugins([join(root, 'nowhere')])).to.deep.equal({ found: [], invalid: [] });
    });
  });
});
